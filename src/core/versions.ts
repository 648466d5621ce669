/**
 * Choosing a version: reading an image folder's listing (either layout, see layout.ts) into
 * its version files and tag manifests, pairing them, and picking the newest complete
 * version of a tag. Everything here comes from file names, sizes and times: no manifest is
 * read to resolve or list.
 */
import {
  parseImageFileName,
  parseManifestFileName,
  parseTagManifestName,
  parseVersionFileName,
  versionFileName,
  type Layout,
  type TagVersion,
} from './layout.js';

/** One entry of a Globus `ls` answer (only the fields used here). */
export interface ListingEntry {
  name: string;
  type?: string;
  size?: number;
  last_modified?: string | null;
}

/**
 * A folder's listing with the server's clock when it answered (ms, from the HTTP `Date`
 * header of the `ls` answer; its earliest page), when the answer had one.
 */
export type Listing = ListingEntry[] & { serverTime?: number };

/** An image (layout 1: one tag's copy; layout 2: the version file) found in a listing. */
export interface VersionFileEntry {
  version: string;
  name: string;
  layout: Layout;
  /** Layout 1 only: the tag in the file's name. */
  tag?: string;
  size?: number;
  lastModified?: number;
}

/** A manifest found in a listing: `tag` names `version`. */
export interface TagManifestEntry extends TagVersion {
  name: string;
  layout: Layout;
  /** Layout 2: the stamp in the name. */
  stamp?: string;
  /** When the tag came to name the version: layout 2 the stamp, layout 1 the manifest's last_modified. */
  published?: number;
  size?: number;
  lastModified?: number;
  /**
   * From the future: its `last_modified` or (layout 2) its stamp is later than the server's
   * clock when it listed the folder, or its stamp is later than its `last_modified`, by
   * more than STAMP_SKEW_MS. A writer's clock ahead, a planted name, or a file date a
   * writer set (a Transfer with `preserve_timestamp` keeps the source's date). Resolution
   * ignores it; doctor lists it; delete and prune remove it.
   */
  future?: boolean;
}

/**
 * How far a manifest's stamp or date may run ahead of the server's clock (or its stamp
 * ahead of its date) before the manifest is taken as from the future and ignored.
 */
export const STAMP_SKEW_MS = 5 * 60 * 1000;

/**
 * Whether a manifest is from the future: its date `lastModified` or its stamp `published`
 * (layout 2) after `serverTime` (the server's clock when it listed it), or its stamp after
 * its date, by more than STAMP_SKEW_MS.
 */
export function isFutureManifest(
  published: number | undefined,
  lastModified: number | undefined,
  serverTime: number | undefined,
): boolean {
  const after = (t: number | undefined, ref: number | undefined): boolean =>
    t !== undefined && ref !== undefined && t > ref + STAMP_SKEW_MS;
  return after(lastModified, serverTime) || after(published, serverTime) || after(published, lastModified);
}

/** What one image folder holds. */
export interface FolderIndex {
  files: VersionFileEntry[];
  manifests: TagManifestEntry[];
}

/** A tag's version found in a listing, with what is known about its manifest. */
export interface ImageVersionEntry extends TagVersion {
  layout: Layout;
  /** The image file's name in the folder (layout 2: `sha256.<version>.sif`, shared by every tag). */
  imageName: string;
  /** The manifest's name (layout 2: the newest of this tag naming this version). */
  manifestName?: string;
  manifestSize?: number;
  size?: number;
  /** Milliseconds since the epoch, from the image's `last_modified`. */
  lastModified?: number;
  /** Milliseconds since the epoch, from the manifest's `last_modified`. */
  manifestLastModified?: number;
  /** When the tag came to name this version (layout 2: the manifest's stamp). */
  published?: number;
  /**
   * Complete: the image file and its manifest are both there (layout 1), or a manifest of
   * the tag names this version and the version file is there (layout 2).
   */
  hasManifest: boolean;
}

/** Globus writes `2021-01-15 01:45:50+00:00`; ISO 8601 is accepted too. NaN-free: undefined when unreadable. */
export function parseListingTime(value: string | null | undefined): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const ms = Date.parse(value.includes('T') ? value : value.replace(' ', 'T'));
  return Number.isNaN(ms) ? undefined : ms;
}

const isFile = (e: ListingEntry): boolean => e.type === undefined || e.type === 'file';

/**
 * The version files and manifests of one image folder's listing, both layouts; anything
 * else is left out. `serverTime` (default: the listing's own) judges manifests from the future.
 */
export function readFolder(
  entries: readonly ListingEntry[] | Listing,
  serverTime: number | undefined = (entries as Listing).serverTime,
): FolderIndex {
  const files: VersionFileEntry[] = [];
  const manifests: TagManifestEntry[] = [];
  for (const e of entries) {
    if (!isFile(e)) continue;
    const lm = parseListingTime(e.last_modified);
    const facts = {
      ...(typeof e.size === 'number' ? { size: e.size } : {}),
      ...(lm !== undefined ? { lastModified: lm } : {}),
    };
    const v2 = parseVersionFileName(e.name);
    if (v2) {
      files.push({ version: v2, name: e.name, layout: 2, ...facts });
      continue;
    }
    const m2 = parseTagManifestName(e.name);
    if (m2) {
      const future = isFutureManifest(m2.published, lm, serverTime);
      manifests.push({
        tag: m2.tag,
        version: m2.version,
        name: e.name,
        layout: 2,
        stamp: m2.stamp,
        published: m2.published,
        ...facts,
        ...(future ? { future } : {}),
      });
      continue;
    }
    const i1 = parseImageFileName(e.name);
    if (i1) {
      files.push({ version: i1.version, tag: i1.tag, name: e.name, layout: 1, ...facts });
      continue;
    }
    const m1 = parseManifestFileName(e.name);
    if (m1) {
      const future = isFutureManifest(undefined, lm, serverTime);
      manifests.push({
        ...m1,
        name: e.name,
        layout: 1,
        ...(lm !== undefined ? { published: lm } : {}),
        ...facts,
        ...(future ? { future } : {}),
      });
    }
  }
  return { files, manifests };
}

/** Pairs the image files of one image folder's listing with their manifests: one entry per tag and version. */
export function indexListing(entries: readonly ListingEntry[]): ImageVersionEntry[] {
  return versionsOf(readFolder(entries));
}

/** The manifests resolution may use: all but the future-stamped ones. */
export const trustedManifests = (index: FolderIndex): TagManifestEntry[] => index.manifests.filter((m) => !m.future);

/** The future-stamped manifests of a folder (see STAMP_SKEW_MS). */
export const futureManifests = (index: FolderIndex): TagManifestEntry[] =>
  index.manifests.filter((m) => m.future === true);

export function versionsOf(index: FolderIndex): ImageVersionEntry[] {
  const out: ImageVersionEntry[] = [];
  const layout1 = new Map<string, TagManifestEntry>();
  const newest2 = new Map<string, TagManifestEntry>();
  for (const m of trustedManifests(index)) {
    const key = `${m.tag}@${m.version}`;
    if (m.layout === 1) layout1.set(key, m);
    else if (!newest2.has(key) || compareManifests(m, newest2.get(key)!) > 0) newest2.set(key, m);
  }
  const files2 = new Map(index.files.filter((f) => f.layout === 2).map((f) => [f.version, f]));
  for (const f of index.files) {
    if (f.layout !== 1) continue;
    const m = layout1.get(`${f.tag}@${f.version}`);
    out.push(entry(f.tag!, f.version, 1, f.name, f, m));
  }
  for (const m of newest2.values()) {
    const f = files2.get(m.version);
    out.push(entry(m.tag, m.version, 2, versionFileName(m.version), f, m, f !== undefined));
  }
  return out;
}

function entry(
  tag: string,
  version: string,
  layout: Layout,
  imageName: string,
  file: VersionFileEntry | undefined,
  m: TagManifestEntry | undefined,
  complete = m !== undefined,
): ImageVersionEntry {
  const out: ImageVersionEntry = { tag, version, layout, imageName, hasManifest: complete };
  if (file?.size !== undefined) out.size = file.size;
  if (file?.lastModified !== undefined) out.lastModified = file.lastModified;
  if (m) {
    out.manifestName = m.name;
    if (m.size !== undefined) out.manifestSize = m.size;
    if (m.lastModified !== undefined) out.manifestLastModified = m.lastModified;
    if (m.published !== undefined) out.published = m.published;
  }
  return out;
}

/**
 * The newest complete version of `tag` (complete = its manifest exists, and in layout 2 the
 * version file it names; future-stamped manifests do not count). Newest is judged by the
 * server's clock, never a writer's: the manifest's `last_modified` (the time the server
 * gave the file; Globus lists it to the second), then, within the same second, the stamp
 * in its name (layout 2), then the image's time, then the version text so the choice is
 * stable when everything ties.
 */
export function newestVersion(entries: readonly ImageVersionEntry[], tag: string): ImageVersionEntry | undefined {
  let best: ImageVersionEntry | undefined;
  for (const e of entries) {
    if (e.tag !== tag || !e.hasManifest) continue;
    if (!best || compareEntries(e, best) > 0) best = e;
  }
  return best;
}

/** The newest complete manifest of any tag that names `version`. */
export function newestNaming(entries: readonly ImageVersionEntry[], version: string): ImageVersionEntry | undefined {
  let best: ImageVersionEntry | undefined;
  for (const e of entries) {
    if (e.version !== version || !e.hasManifest) continue;
    if (!best || compareEntries(e, best) > 0) best = e;
  }
  return best;
}

/** Each tag's newest complete version. */
export function currentVersions(entries: readonly ImageVersionEntry[]): Map<string, ImageVersionEntry> {
  const out = new Map<string, ImageVersionEntry>();
  for (const tag of new Set(entries.map((e) => e.tag))) {
    const v = newestVersion(entries, tag);
    if (v) out.set(tag, v);
  }
  return out;
}

/** `a - b` of two optional times, missing ones first; 0 when both are missing. */
function byTime(a: number | undefined, b: number | undefined): number {
  const d = (a ?? -Infinity) - (b ?? -Infinity);
  return Number.isNaN(d) ? 0 : d;
}

/** Two manifests of one tag and version: the server's time, then the stamp. */
function compareManifests(a: TagManifestEntry, b: TagManifestEntry): number {
  return (
    byTime(a.lastModified ?? a.published, b.lastModified ?? b.published) ||
    byTime(a.published, b.published) ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
}

function compareEntries(a: ImageVersionEntry, b: ImageVersionEntry): number {
  return (
    byTime(
      a.manifestLastModified ?? a.published ?? a.lastModified,
      b.manifestLastModified ?? b.published ?? b.lastModified,
    ) ||
    byTime(a.published, b.published) ||
    byTime(a.lastModified, b.lastModified) ||
    (a.version < b.version ? -1 : a.version > b.version ? 1 : 0)
  );
}

/** Orders two entries as resolution does (oldest first): server time, then stamp, then image time, then version. */
export const compareByArrival = compareEntries;
