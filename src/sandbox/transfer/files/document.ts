import { lstat, readlink, realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dirname, resolve as resolveDisk, sep } from 'node:path';
import type { SandboxEndpoint } from '../../model.js';
import { ownerNames } from './owners.js';

export type FileType = 'dir' | 'file' | 'invalid_symlink';

/** One entry of a `file_list`, and the answer of `stat`: the keys of a real Transfer `file` document. */
export interface FileDocument {
  DATA_TYPE: 'file';
  name: string;
  type: FileType;
  size: number;
  last_modified: string;
  permissions: string;
  user: string;
  group: string;
  link_target: string | null;
  link_size: number | null;
  link_user: string | null;
  link_group: string | null;
  link_last_modified: string | null;
}

/** Turns disk paths back into endpoint paths; undefined for a place outside the endpoint. */
export type EndpointPathOf = (diskPath: string) => string | undefined;

/** Transfer's timestamp form: `2021-01-15 01:45:50+00:00`. */
export const transferTime = (ms: number): string =>
  `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}+00:00`;

/** The mode's permission bits as four octal digits, e.g. `0644`. */
export const octalPermissions = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');

/**
 * The `file` document of `diskPath`. A symlink whose target lies inside the endpoint shows
 * as its target (type, size, owner, times) with the link's own facts in `link_*`; a
 * dangling link, or one pointing outside the endpoint, is `invalid_symlink` described by
 * the link itself. `link_target` is the target's endpoint path, or null when it is outside.
 */
export async function fileDocument(
  name: string,
  diskPath: string,
  toEndpointPath: EndpointPathOf,
): Promise<FileDocument> {
  const own = await lstat(diskPath);
  if (!own.isSymbolicLink()) return { ...(await facts(name, own, typeOf(own))), ...noLink };
  const target = await followLink(diskPath, toEndpointPath);
  if (!target.stats)
    return { ...(await facts(name, own, 'invalid_symlink')), ...noLink, link_target: target.endpointPath };
  const linkOwner = await ownerNames(own.uid, own.gid);
  return {
    ...(await facts(name, target.stats, typeOf(target.stats))),
    link_target: target.endpointPath,
    link_size: own.size,
    link_user: linkOwner.user,
    link_group: linkOwner.group,
    link_last_modified: transferTime(own.mtimeMs),
  };
}

/** Maps disk paths under an endpoint's (real) storage back to endpoint paths. */
export async function endpointPathMapper(endpoint: SandboxEndpoint): Promise<EndpointPathOf> {
  const bounds: { disk: string; endpoint: string }[] = [];
  if (endpoint.configPaths) {
    for (const c of endpoint.configPaths) bounds.push({ disk: await realOrSelf(c.path), endpoint: c.path });
  } else if (endpoint.root) {
    bounds.push({ disk: await realOrSelf(endpoint.root), endpoint: '/' });
  }
  return (diskPath) => {
    for (const b of bounds) {
      if (diskPath === b.disk) return b.endpoint;
      const prefix = b.disk.endsWith(sep) ? b.disk : b.disk + sep;
      if (!diskPath.startsWith(prefix)) continue;
      const rest = diskPath.slice(prefix.length).split(sep).join('/');
      return b.endpoint.endsWith('/') ? `${b.endpoint}${rest}` : `${b.endpoint}/${rest}`;
    }
    return undefined;
  };
}

const noLink = {
  link_target: null,
  link_size: null,
  link_user: null,
  link_group: null,
  link_last_modified: null,
} as const;

const typeOf = (s: Stats): FileType => (s.isDirectory() ? 'dir' : 'file');

async function facts(name: string, s: Stats, type: FileType) {
  const { user, group } = await ownerNames(s.uid, s.gid);
  return {
    DATA_TYPE: 'file' as const,
    name,
    type,
    size: s.size,
    last_modified: transferTime(s.mtimeMs),
    permissions: octalPermissions(s.mode),
    user,
    group,
  };
}

async function followLink(
  diskPath: string,
  toEndpointPath: EndpointPathOf,
): Promise<{ endpointPath: string | null; stats?: Stats }> {
  let real: string;
  try {
    real = await realpath(diskPath);
  } catch {
    // Dangling (or a loop): name where it would point, when that is inside the endpoint.
    const raw = await readlink(diskPath).catch(() => undefined);
    const folder = await realpath(dirname(diskPath)).catch(() => dirname(diskPath));
    return { endpointPath: raw === undefined ? null : (toEndpointPath(resolveDisk(folder, raw)) ?? null) };
  }
  const endpointPath = toEndpointPath(real);
  if (endpointPath === undefined) return { endpointPath: null };
  return { endpointPath, stats: await stat(real) };
}

const realOrSelf = (path: string): Promise<string> => realpath(path).catch(() => resolveDisk(path));
