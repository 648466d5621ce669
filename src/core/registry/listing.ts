/** Folder listings as the operations read them: a folder that does not exist is empty. */
import { isSregistryError } from '../errors.js';
import type { Listing } from '../versions.js';
import type { Session } from './session.js';
import { ls } from '../transfer/index.js';

/** A path (not an endpoint) that does not exist. */
export function isMissingPath(err: unknown): boolean {
  if (!isSregistryError(err) || err.code !== 'NOT_FOUND') return false;
  const code = err.globusCode;
  return code === undefined || code === 'NotFound' || code === 'ClientError.NotFound' || /^ExternalError\..*NotFound/.test(code);
}

/**
 * A folder's entries, with the server's clock when it answered (its `Date` header: what
 * tells a manifest from the future); a folder that does not exist is empty, unless
 * `whenMissing` says otherwise (it may throw).
 */
export async function listFolder<Missing = Listing>(
  session: Session,
  endpoint: string,
  path: string,
  signal?: AbortSignal,
  whenMissing: () => Missing = () => [] as Missing,
): Promise<Listing | Missing> {
  const out: Listing = [];
  // The earliest page's clock, the strictest: every entry listed existed by then.
  const onServerTime = (ms: number): void => {
    if (out.serverTime === undefined || ms < out.serverTime) out.serverTime = ms;
  };
  try {
    for await (const e of ls(session.transfer, endpoint, path, { ...(signal ? { signal } : {}), onServerTime })) {
      out.push({ name: e.name, type: e.type, size: e.size, last_modified: e.last_modified });
    }
  } catch (err) {
    if (isMissingPath(err)) return whenMissing();
    throw err;
  }
  return out;
}
