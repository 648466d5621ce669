/**
 * Choosing a version: pairing the image files of an image folder's listing with their
 * manifests, and picking the newest complete version of a tag.
 */
import { parseImageFileName, parseManifestFileName, type TagVersion } from './layout.js';

/** One entry of a Globus `ls` answer (only the fields used here). */
export interface ListingEntry {
  name: string;
  type?: string;
  size?: number;
  last_modified?: string | null;
}

/** An image file found in a listing, with what is known about its manifest. */
export interface ImageVersionEntry extends TagVersion {
  size?: number;
  /** Milliseconds since the epoch, from the image's `last_modified`. */
  lastModified?: number;
  /** Milliseconds since the epoch, from the manifest's `last_modified`. */
  manifestLastModified?: number;
  hasManifest: boolean;
}

/** Globus writes `2021-01-15 01:45:50+00:00`; ISO 8601 is accepted too. NaN-free: undefined when unreadable. */
export function parseListingTime(value: string | null | undefined): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const ms = Date.parse(value.includes('T') ? value : value.replace(' ', 'T'));
  return Number.isNaN(ms) ? undefined : ms;
}

/** Pairs the image files of one image folder's listing with their manifests. */
export function indexListing(entries: readonly ListingEntry[]): ImageVersionEntry[] {
  const manifests = new Map<string, number | undefined>();
  for (const e of entries) {
    if (e.type !== undefined && e.type !== 'file') continue;
    const m = parseManifestFileName(e.name);
    if (m) manifests.set(`${m.tag}@${m.version}`, parseListingTime(e.last_modified));
  }
  const out: ImageVersionEntry[] = [];
  for (const e of entries) {
    if (e.type !== undefined && e.type !== 'file') continue;
    const tv = parseImageFileName(e.name);
    if (!tv) continue;
    const key = `${tv.tag}@${tv.version}`;
    const entry: ImageVersionEntry = { ...tv, hasManifest: manifests.has(key) };
    if (typeof e.size === 'number') entry.size = e.size;
    const lm = parseListingTime(e.last_modified);
    if (lm !== undefined) entry.lastModified = lm;
    const mlm = manifests.get(key);
    if (mlm !== undefined) entry.manifestLastModified = mlm;
    out.push(entry);
  }
  return out;
}

/**
 * The newest complete version of `tag` (complete = its manifest exists). Newest is judged
 * by the manifest's time (it is written last, at publication; an image file's time may be
 * preserved from its source), then the image's time, then the version text so the choice is
 * stable when times tie.
 */
export function newestVersion(entries: readonly ImageVersionEntry[], tag: string): ImageVersionEntry | undefined {
  let best: ImageVersionEntry | undefined;
  for (const e of entries) {
    if (e.tag !== tag || !e.hasManifest) continue;
    if (!best || compareEntries(e, best) > 0) best = e;
  }
  return best;
}

function compareEntries(a: ImageVersionEntry, b: ImageVersionEntry): number {
  const t = (a.manifestLastModified ?? a.lastModified ?? -Infinity) - (b.manifestLastModified ?? b.lastModified ?? -Infinity);
  if (t !== 0 && !Number.isNaN(t)) return t;
  const u = (a.lastModified ?? -Infinity) - (b.lastModified ?? -Infinity);
  if (u !== 0 && !Number.isNaN(u)) return u;
  return a.version < b.version ? -1 : a.version > b.version ? 1 : 0;
}
