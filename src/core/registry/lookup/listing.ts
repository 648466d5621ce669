/**
 * Folder listings as the operations read them (a folder that does not exist is empty),
 * and what a registry holds, read through the layout: the names of a collection, and the
 * complete versions of a name with the tags each carries. One folder listing each.
 */
import { isSregistryError } from '../../errors.js';
import { collectionFolder, imageFolder } from '../../layout.js';
import { isValidName, type ImageRef } from '../../uri.js';
import { indexListing, type Listing, type ListingEntry } from '../../versions.js';
import type { EndpointInfo } from '../endpoint.js';
import type { Session } from '../session.js';
import { ls } from '../../transfer/index.js';

/** A path (not an endpoint) that does not exist. */
export function isMissingPath(err: unknown): boolean {
  if (!isSregistryError(err) || err.code !== 'NOT_FOUND') return false;
  const code = err.globusCode;
  return (
    code === undefined ||
    code === 'NotFound' ||
    code === 'ClientError.NotFound' ||
    /^ExternalError\..*NotFound/.test(code)
  );
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

/** One complete version of a name: its SHA-256, the tags that carry it, its size and when it was published. */
export interface PublishedVersion {
  version: string;
  tags: string[];
  size?: number;
  /** Milliseconds since the epoch: the newest manifest time of its tags (else the image's). */
  published?: number;
}

/** The sub-folders of a listing that may be collections or names. */
export const nameFolders = (entries: readonly ListingEntry[]): string[] =>
  entries.filter((e) => e.type === 'dir' && isValidName(e.name)).map((e) => e.name);

/** The names in a collection (one ls); a missing collection has none. */
export async function listNames(
  session: Session,
  ep: EndpointInfo,
  root: string,
  collection: string,
  signal?: AbortSignal,
): Promise<string[]> {
  return nameFolders(await listFolder(session, ep.id, collectionFolder(root, collection), signal));
}

/** The complete versions of a name, oldest first (one ls); a missing name has none. */
export async function listVersions(
  session: Session,
  ep: EndpointInfo,
  root: string,
  ref: Pick<ImageRef, 'collection' | 'name'>,
  signal?: AbortSignal,
): Promise<PublishedVersion[]> {
  const byVersion = new Map<string, PublishedVersion>();
  for (const e of indexListing(await listFolder(session, ep.id, imageFolder(root, ref), signal))) {
    if (!e.hasManifest) continue;
    const v = byVersion.get(e.version) ?? { version: e.version, tags: [] };
    v.tags.push(e.tag);
    if (e.size !== undefined) v.size = e.size;
    const time = e.published ?? e.manifestLastModified ?? e.lastModified;
    if (time !== undefined && (v.published === undefined || time > v.published)) v.published = time;
    byVersion.set(e.version, v);
  }
  const out = [...byVersion.values()];
  for (const v of out) v.tags.sort();
  return out.sort(
    (a, b) => (a.published ?? 0) - (b.published ?? 0) || (a.version < b.version ? -1 : a.version > b.version ? 1 : 0),
  );
}
