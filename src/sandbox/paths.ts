import { readlink, realpath } from 'node:fs/promises';
import { basename, dirname, posix, relative, resolve as resolveDisk, sep } from 'node:path';
import { SandboxError, badRequest, permissionDenied } from './errors.js';
import { accessAt } from './access.js';
import type { Access, SandboxEndpoint } from './model.js';

export const MAX_PATH_LENGTH = 4096;
export const MAX_NAME_LENGTH = 255;

/** An endpoint path checked against the endpoint's bounds and the caller's permission. */
export interface ResolvedPath {
  /** Normalised endpoint path, absolute, without a trailing slash (except `/`). */
  endpointPath: string;
  /** Where it lives on this machine. */
  diskPath: string;
  /** Whether the caller may write here (permission and, for personal endpoints, config-paths). */
  writable: boolean;
}

/**
 * Turns a path from a request into a place on disk, refusing anything that would leave
 * the endpoint: NUL bytes, over-long paths or names, `..` above the root, and symlinks
 * whose target lies outside. Guest collections map their root folder to `/`; personal
 * endpoints use this machine's absolute paths limited to their config-paths, `/~/` being
 * the home folder.
 */
export async function resolveEndpointPath(
  endpoint: SandboxEndpoint,
  rawPath: unknown,
  clientId: string,
  want: 'read' | 'write',
): Promise<ResolvedPath> {
  const endpointPath = normalise(endpoint, rawPath);
  const access = accessAt(endpoint, clientId, endpointPath);
  if (!access) {
    throw permissionDenied(`No permission to access ${endpointPath} on endpoint ${endpoint.id}`);
  }
  const { diskPath, bound, boundWritable, boundPath } = placeOnDisk(endpoint, endpointPath);
  const { real, realBound } = await refuseEscapes(diskPath, bound, endpointPath);
  // Permissions are judged where the path really leads: a link inside the endpoint to a
  // folder the caller may not reach must not open it.
  const inside = relative(realBound, real).split(sep).join('/');
  const reached = inside === '' ? boundPath : `${boundPath === '/' ? '' : boundPath}/${inside}`;
  let linkedAccess: Access | undefined = access;
  if (reached !== endpointPath) {
    linkedAccess = accessAt(endpoint, clientId, reached);
    if (!linkedAccess)
      throw permissionDenied(
        `No permission to access ${endpointPath} on endpoint ${endpoint.id}: it leads through a link to ${reached}`,
      );
  }
  const writable = access === 'rw' && linkedAccess === 'rw' && boundWritable;
  if (want === 'write' && !writable) {
    throw permissionDenied(`No write permission on ${endpointPath} on endpoint ${endpoint.id}`);
  }
  return { endpointPath, diskPath, writable };
}

/** Expands `~`, makes the path absolute and normalised; rejects malformed paths. */
export function normalise(endpoint: SandboxEndpoint, rawPath: unknown): string {
  if (typeof rawPath !== 'string' || rawPath === '') throw badRequest('A path is required');
  if (rawPath.includes('\0')) throw badRequest('Path must not contain NUL bytes');
  if (Buffer.byteLength(rawPath) > MAX_PATH_LENGTH) throw badRequest(`Path is longer than ${MAX_PATH_LENGTH} bytes`);
  const home = endpoint.configPaths ? (endpoint.home ?? '/') : '/';
  let path = rawPath;
  if (path === '~' || path.startsWith('~/')) path = `/~${path.slice(1)}`;
  // Concatenate rather than posix.join, which would silently clamp `/~/../..` at `/`
  // before the depth check below could refuse it.
  const base = home.endsWith('/') ? home.slice(0, -1) : home;
  if (path === '/~' || path.startsWith('/~/')) path = `${base}${path.slice(2)}`;
  else if (!path.startsWith('/')) path = `${base}/${path}`;
  const segments = path.split('/');
  let depth = 0;
  for (const s of segments) {
    if (Buffer.byteLength(s) > MAX_NAME_LENGTH)
      throw badRequest(`A name in the path is longer than ${MAX_NAME_LENGTH} bytes`);
    if (s === '..') depth--;
    else if (s !== '' && s !== '.') depth++;
    if (depth < 0) throw permissionDenied(`Path ${rawPath} leads outside the endpoint`);
  }
  const normal = posix.normalize(path);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

/** Where an endpoint path lives; `bound` is the folder it may not leave, `boundPath` that folder's endpoint path. */
function placeOnDisk(
  endpoint: SandboxEndpoint,
  endpointPath: string,
): { diskPath: string; bound: string; boundWritable: boolean; boundPath: string } {
  if (endpoint.configPaths) {
    const allowed = endpoint.configPaths
      .filter((c) => isInside(endpointPath, c.path))
      .sort((a, b) => b.path.length - a.path.length)[0];
    if (!allowed) throw permissionDenied(`Path ${endpointPath} is not in the endpoint's allowed folders`);
    const boundPath = allowed.path.length > 1 && allowed.path.endsWith('/') ? allowed.path.slice(0, -1) : allowed.path;
    return { diskPath: endpointPath, bound: allowed.path, boundWritable: allowed.writable, boundPath };
  }
  if (!endpoint.root) throw new SandboxError(500, 'EndpointError', `Endpoint ${endpoint.id} has no storage`);
  const diskPath = endpointPath === '/' ? endpoint.root : resolveDisk(endpoint.root, `.${endpointPath}`);
  return { diskPath, bound: endpoint.root, boundWritable: true, boundPath: '/' };
}

function isInside(path: string, folder: string): boolean {
  const f = folder.length > 1 && folder.endsWith('/') ? folder.slice(0, -1) : folder;
  return f === '/' || path === f || path.startsWith(`${f}/`);
}

/** Symlinks followed while looking for the deepest existing ancestor, like the kernel's limit. */
const MAX_LINK_HOPS = 40;

/**
 * The deepest existing ancestor, with links resolved, must still be inside the bound. A
 * dangling link on the way is followed to where it points: writing through it would
 * create its target, so that target must be inside too. Returns where the path really
 * leads (links resolved, the part that does not exist yet appended) and the real bound.
 */
async function refuseEscapes(
  diskPath: string,
  bound: string,
  endpointPath: string,
): Promise<{ real: string; realBound: string }> {
  const realBound = await realpath(bound).catch(() => resolveDisk(bound));
  const escaped = () => permissionDenied(`Path ${endpointPath} leads outside the endpoint through a link`);
  let probe = diskPath;
  let hops = 0;
  const tail: string[] = [];
  for (;;) {
    try {
      const real = await realpath(probe);
      if (real !== realBound && !real.startsWith(realBound.endsWith(sep) ? realBound : realBound + sep))
        throw escaped();
      return { real: tail.length === 0 ? real : resolveDisk(real, ...tail), realBound };
    } catch (err) {
      if (err instanceof SandboxError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') throw escaped();
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      const followed = await danglingLinkTarget(probe);
      if (followed !== undefined) {
        if (++hops > MAX_LINK_HOPS) throw escaped();
        probe = followed;
        continue;
      }
      const parent = resolveDisk(probe, '..');
      if (parent === probe) return { real: resolveDisk(probe, ...tail), realBound };
      tail.unshift(basename(probe));
      probe = parent;
    }
  }
}

/**
 * Where a link at `path` points, as an absolute disk path, or undefined when `path` is not
 * a link. Relative targets count from the link's real folder, as the kernel resolves them.
 */
async function danglingLinkTarget(path: string): Promise<string | undefined> {
  try {
    const target = await readlink(path);
    return resolveDisk(await realpath(dirname(path)), target);
  } catch {
    return undefined;
  }
}
