/** Looks for secrets in texts and in every file below some folders, as written, base64 or URL-encoded. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface SecretScan {
  files: number;
  bytes: number;
  /** `<where>: <first characters of the secret>…`, empty when nothing leaked. */
  hits: string[];
}

const needles = (secret: string): Buffer[] => [
  Buffer.from(secret),
  Buffer.from(Buffer.from(secret).toString('base64').replace(/=+$/, '')),
  Buffer.from(Buffer.from(secret).toString('base64url')),
  Buffer.from(encodeURIComponent(secret)),
];

async function filesBelow(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Scans `texts` (name → content) and every file below `dirs` (and single files in `files`) for each secret. */
export async function scanForSecrets(
  secrets: string[],
  texts: Record<string, string>,
  dirs: string[],
  files: string[] = [],
): Promise<SecretScan> {
  const wanted = [...new Set(secrets.filter((s) => s.length >= 8))].map((s) => ({ s, forms: needles(s) }));
  const scan: SecretScan = { files: 0, bytes: 0, hits: [] };
  const look = (where: string, data: Buffer) => {
    scan.bytes += data.length;
    for (const { s, forms } of wanted)
      if (forms.some((f) => data.includes(f))) scan.hits.push(`${where}: ${s.slice(0, 6)}…`);
  };
  for (const [where, text] of Object.entries(texts)) look(where, Buffer.from(text));
  const all = [...files, ...(await Promise.all(dirs.map(filesBelow))).flat()];
  for (const file of [...new Set(all)]) {
    const data = await readFile(file).catch(() => undefined);
    if (!data) continue;
    scan.files++;
    look(file, data);
  }
  return scan;
}
