/**
 * Local file path → path on the local Globus endpoint. Globus Connect Personal on Linux
 * exposes the machine's own absolute paths, so the default is the identity; a path map
 * (`SREGISTRY_GLOBUS_LOCAL_PATH_MAP`) covers endpoints that show a folder under another
 * path. The longest matching local prefix wins.
 */
import { resolve, sep } from 'node:path';
import { SregistryError } from '../../errors.js';

export interface PathMapEntry {
  local: string;
  endpoint: string;
}

const trimSlash = (p: string): string => (p.length > 1 && p.endsWith('/') ? p.replace(/\/+$/, '') || '/' : p);

function within(path: string, prefix: string): boolean {
  return prefix === '/' || path === prefix || path.startsWith(prefix + '/');
}

export function toEndpointPath(localPath: string, map: readonly PathMapEntry[] = []): string {
  let path = resolve(localPath);
  if (sep !== '/') path = `/${path.replace(/\\/g, '/').replace(/^([A-Za-z]):/, '$1')}`;
  if (path.includes('\0')) throw new SregistryError('UNSAFE_PATH', 'A local path must not contain a NUL byte');
  let best: PathMapEntry | undefined;
  for (const entry of map) {
    const local = trimSlash(entry.local);
    if (within(path, local) && (!best || local.length > trimSlash(best.local).length)) best = entry;
  }
  if (!best) return path;
  const local = trimSlash(best.local);
  const rest = local === '/' ? path.slice(1) : path.slice(local.length + 1);
  const endpoint = trimSlash(best.endpoint);
  if (rest === '') return endpoint;
  return endpoint.endsWith('/') ? endpoint + rest : `${endpoint}/${rest}`;
}
