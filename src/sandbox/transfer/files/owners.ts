import { readFile } from 'node:fs/promises';

/** uid → user name and gid → group name, read once from this machine's account files. */
interface OwnerNames {
  users: Map<number, string>;
  groups: Map<number, string>;
}

let cached: Promise<OwnerNames> | undefined;

/** Names for a file's owner and group, as `ls -l` shows them; the number as a string when unknown. */
export async function ownerNames(uid: number, gid: number): Promise<{ user: string; group: string }> {
  cached ??= loadNames();
  const { users, groups } = await cached;
  return { user: users.get(uid) ?? String(uid), group: groups.get(gid) ?? String(gid) };
}

async function loadNames(): Promise<OwnerNames> {
  return { users: await idFile('/etc/passwd'), groups: await idFile('/etc/group') };
}

/** `name:x:id:...` lines; a missing or unreadable file (not Unix) gives an empty map. */
async function idFile(path: string): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  const text = await readFile(path, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (name && id && /^\d+$/.test(id) && !names.has(Number(id))) names.set(Number(id), name);
  }
  return names;
}
