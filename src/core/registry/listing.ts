/** Folder listings as the operations read them: a folder that does not exist is empty. */
import { isSregistryError } from '../errors.js';
import type { ListingEntry } from '../versions.js';
import type { Session } from './session.js';

/** A path (not an endpoint) that does not exist. */
export function isMissingPath(err: unknown): boolean {
  if (!isSregistryError(err) || err.code !== 'NOT_FOUND') return false;
  const code = err.globusCode;
  return code === undefined || code === 'NotFound' || code === 'ClientError.NotFound' || /^ExternalError\..*NotFound/.test(code);
}

/** A folder's entries; a folder that does not exist is empty, unless `whenMissing` says otherwise (it may throw). */
export async function listFolder<Missing = ListingEntry[]>(
  session: Session,
  endpoint: string,
  path: string,
  signal?: AbortSignal,
  whenMissing: () => Missing = () => [] as Missing,
): Promise<ListingEntry[] | Missing> {
  const out: ListingEntry[] = [];
  try {
    for await (const e of session.transfer.ls(endpoint, path, signal ? { signal } : {})) {
      out.push({ name: e.name, type: e.type, size: e.size, last_modified: e.last_modified });
    }
  } catch (err) {
    if (isMissingPath(err)) return whenMissing();
    throw err;
  }
  return out;
}
