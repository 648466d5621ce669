/**
 * The registry's folder layout on an endpoint (DESIGN.md "Names"):
 *
 *   <root>/.sregistry                                   marker, {"layout": 1, ...}
 *   <root>/<collection>/<name>/<tag>@<version>.sif      the image
 *   <root>/<collection>/<name>/<tag>@<version>.sif.json its manifest, written last
 *   <root>/<collection>/<name>/.<tag>@upload-<uuid>.partial   an upload in progress
 *
 * Endpoint paths here are POSIX, absolute, and end with `/` when they name a folder.
 * Nothing read from a remote (file names, manifests) is trusted: every name is checked
 * again before it becomes part of a path.
 */
import { SregistryError } from './errors.js';
import {
  formatGlobusUri,
  isUuid,
  isValidName,
  isValidTag,
  isValidVersion,
  parseGlobusUri,
  validateRef,
  type ImageRef,
  type VersionedRef,
} from './uri.js';

export const SNIFF_ROOTS: readonly string[] = Object.freeze(['/shub/', '/~/.singularity/shub/', '/~/shub/', '/']);
export const DEFAULT_ROOT = '/shub/';
export const MARKER = '.sregistry';
export const LAYOUT_VERSION = 1;
/** Longest file or folder name most file systems (and the sandbox) accept, in bytes. */
export const MAX_SEGMENT_BYTES = 255;
/** Manifests are small; anything bigger is not one. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

const unsafe = (message: string): SregistryError => new SregistryError('UNSAFE_PATH', message);

/**
 * Throws unless `part` is one plain path segment: non-empty, not `.` or `..`, without `/`,
 * `\`, NUL or other control characters, at most 255 bytes.
 */
export function checkSegment(part: unknown): string {
  if (typeof part !== 'string' || part === '') throw unsafe('Refusing an empty path segment: names must be non-empty');
  const shown = JSON.stringify(part.length > 100 ? `${part.slice(0, 100)}…` : part);
  if (part === '.' || part === '..') throw unsafe(`Refusing path segment ${shown}: "." and ".." are not names`);
  if (part.includes('/') || part.includes('\\')) throw unsafe(`Refusing path segment ${shown}: a name may not contain "/" or "\\"`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(part)) throw unsafe(`Refusing path segment ${shown}: a name may not contain NUL or control characters`);
  if (Buffer.byteLength(part) > MAX_SEGMENT_BYTES) throw unsafe(`Refusing path segment ${shown}: longer than ${MAX_SEGMENT_BYTES} bytes`);
  return part;
}

/**
 * Normalises an endpoint root to an absolute folder path ending in `/`: `/shub` → `/shub/`,
 * `~/shub` → `/~/shub/`, repeated slashes and `.` segments collapse. `..` is refused.
 */
export function normaliseRoot(root: string): string {
  if (typeof root !== 'string' || root.trim() === '') {
    throw new SregistryError('INVALID_INPUT', 'The registry root is empty: give an absolute endpoint path such as /shub/');
  }
  let path = root.trim();
  if (path === '~' || path.startsWith('~/')) path = `/~${path.slice(1)}`;
  if (!path.startsWith('/')) {
    throw new SregistryError('INVALID_INPUT', `The registry root "${root}" is not absolute: give an endpoint path such as /shub/ or /~/shub/`);
  }
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  for (const s of segments) {
    if (s === '..') throw unsafe(`The registry root "${root}" contains "..": give it without parent references, e.g. /shub/`);
    checkSegment(s);
  }
  return segments.length === 0 ? '/' : `/${segments.join('/')}/`;
}

/** `root` + segments, each checked with checkSegment, so the result cannot leave the root. */
export function joinInsideRoot(root: string, ...parts: string[]): string {
  const base = normaliseRoot(root);
  for (const p of parts) checkSegment(p);
  return base + parts.join('/');
}

function requireVersion(ref: ImageRef): VersionedRef {
  const clean = validateRef(ref);
  if (clean.version === undefined) {
    throw new SregistryError('INVALID_INPUT', `The image ${clean.collection}/${clean.name}:${clean.tag} needs a version (its SHA-256) to name a file`);
  }
  return clean as VersionedRef;
}

/** `<root>/<collection>/` */
export function collectionFolder(root: string, collection: string): string {
  if (!isValidName(collection)) throw unsafe(`Refusing collection name "${collection}": expected [a-z0-9][a-z0-9._-]*`);
  return `${joinInsideRoot(root, collection)}/`;
}

/** `<root>/<collection>/<name>/` */
export function imageFolder(root: string, ref: Pick<ImageRef, 'collection' | 'name'>): string {
  if (!isValidName(ref.collection) || !isValidName(ref.name)) {
    throw unsafe(`Refusing image folder "${ref.collection}/${ref.name}": expected names matching [a-z0-9][a-z0-9._-]*`);
  }
  return `${joinInsideRoot(root, ref.collection, ref.name)}/`;
}

export const imageFileName = (tag: string, version: string): string => `${tag}@${version}.sif`;
export const manifestFileName = (tag: string, version: string): string => `${tag}@${version}.sif.json`;

/** `<root>/<collection>/<name>/<tag>@<version>.sif` */
export function imagePath(root: string, ref: ImageRef): string {
  const r = requireVersion(ref);
  return joinInsideRoot(root, r.collection, r.name, imageFileName(r.tag, r.version));
}

/** `<root>/<collection>/<name>/<tag>@<version>.sif.json` */
export function manifestPath(root: string, ref: ImageRef): string {
  const r = requireVersion(ref);
  return joinInsideRoot(root, r.collection, r.name, manifestFileName(r.tag, r.version));
}

/** `<root>/<collection>/<name>/.<tag>@upload-<uuid>.partial`: hidden until renamed into place. */
export function uploadPath(root: string, ref: ImageRef, uuid: string): string {
  const r = validateRef(ref);
  if (!isUuid(uuid)) throw new SregistryError('INVALID_INPUT', `Upload id "${uuid}" is not a UUID`);
  return joinInsideRoot(root, r.collection, r.name, `.${r.tag}@upload-${uuid.toLowerCase()}.partial`);
}

export const markerPath = (root: string): string => joinInsideRoot(root, MARKER);

const IMAGE_FILE_RE = /^([a-z0-9_-][a-z0-9._-]*)@([0-9a-f]{64})\.sif$/;
const MANIFEST_FILE_RE = /^([a-z0-9_-][a-z0-9._-]*)@([0-9a-f]{64})\.sif\.json$/;
const UPLOAD_FILE_RE = /^\.([a-z0-9_-][a-z0-9._-]*)@upload-([0-9a-f-]{36})\.partial$/;

export interface TagVersion {
  tag: string;
  version: string;
}

function matchTagVersion(re: RegExp, name: string): TagVersion | undefined {
  const m = re.exec(name);
  if (!m || !m[1] || !m[2] || !isValidTag(m[1]) || !isValidVersion(m[2])) return undefined;
  return { tag: m[1], version: m[2] };
}

/** `<tag>@<version>.sif` → its parts; any other name (hidden, partial, manifest, foreign) → undefined. */
export const parseImageFileName = (name: string): TagVersion | undefined => matchTagVersion(IMAGE_FILE_RE, name);

/** `<tag>@<version>.sif.json` → its parts; anything else → undefined. */
export const parseManifestFileName = (name: string): TagVersion | undefined => matchTagVersion(MANIFEST_FILE_RE, name);

/** `.<tag>@upload-<uuid>.partial` → tag and upload id (for cleaning up stale uploads). */
export function parseUploadFileName(name: string): { tag: string; uploadId: string } | undefined {
  const m = UPLOAD_FILE_RE.exec(name);
  if (!m || !m[1] || !m[2] || !isValidTag(m[1]) || !isUuid(m[2])) return undefined;
  return { tag: m[1], uploadId: m[2] };
}

// ---------------------------------------------------------------------------------------
// Marker

export interface Marker {
  layout: number;
  created?: string;
  created_by?: string;
}

/** The marker file's text, written on first push. */
export function markerContent(clientId?: string, now: Date = new Date()): string {
  const marker: Marker = { layout: LAYOUT_VERSION, created: now.toISOString() };
  if (clientId) marker.created_by = clientId;
  return `${JSON.stringify(marker)}\n`;
}

/** Reads a marker; refuses layouts this version does not know. */
export function parseMarker(text: string): Marker {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new SregistryError('INVALID_RESPONSE', `The registry marker ${MARKER} is not JSON: expected {"layout": ${LAYOUT_VERSION}}`);
  }
  if (!isPlainObject(data) || typeof data.layout !== 'number' || !Number.isInteger(data.layout)) {
    throw new SregistryError('INVALID_RESPONSE', `The registry marker ${MARKER} has no integer "layout": expected {"layout": ${LAYOUT_VERSION}}`);
  }
  if (data.layout !== LAYOUT_VERSION) {
    throw new SregistryError(
      'INVALID_RESPONSE',
      `The registry uses layout ${data.layout} but this version of sregistry-globus understands layout ${LAYOUT_VERSION} only: upgrade sregistry-globus or use another root`,
    );
  }
  const marker: Marker = { layout: data.layout };
  if (typeof data.created === 'string') marker.created = data.created;
  if (typeof data.created_by === 'string') marker.created_by = data.created_by;
  return marker;
}

// ---------------------------------------------------------------------------------------
// Manifest

/** Where an image came from; the keys are free-form short strings, e.g. git_sha, run_url, repository, ref, workflow. */
export type ManifestSource = Record<string, string>;

export interface Manifest {
  uri: string;
  collection: string;
  name: string;
  tag: string;
  version: string;
  size: number;
  sha256: string;
  /** ISO 8601 time of the push. */
  created: string;
  /** Globus client id that pushed. */
  pushed_by: string;
  source?: ManifestSource;
  labels?: Record<string, string>;
  /** The SIF's definition file (the recipe it was built from), when it carries one. */
  definition?: string;
}

export interface ManifestInput {
  /** Endpoint UUID (preferred) or display name, for the `uri` field. */
  endpoint: string;
  ref: VersionedRef;
  size: number;
  pushedBy: string;
  created?: Date;
  source?: ManifestSource;
  labels?: Record<string, string>;
  definition?: string;
}

export function buildManifest(input: ManifestInput): Manifest {
  const ref = requireVersion(input.ref);
  const manifest: Manifest = {
    uri: formatGlobusUri({ endpoint: input.endpoint, ref }),
    collection: ref.collection,
    name: ref.name,
    tag: ref.tag,
    version: ref.version,
    size: input.size,
    sha256: ref.version,
    created: (input.created ?? new Date()).toISOString(),
    pushed_by: input.pushedBy,
  };
  if (input.source && Object.keys(input.source).length > 0) manifest.source = { ...input.source };
  if (input.labels && Object.keys(input.labels).length > 0) manifest.labels = { ...input.labels };
  if (input.definition) manifest.definition = input.definition;
  // Validate what we are about to publish with the same rules readers apply.
  return validateManifest(manifest, 'being built');
}

export const manifestText = (m: Manifest): string => `${JSON.stringify(m, null, 2)}\n`;

/**
 * Parses and validates a manifest read from a remote. When `expected` is given (the ref
 * of the path it was read from), the manifest must describe exactly that file.
 */
export function parseManifest(text: string, expected?: VersionedRef): Manifest {
  const where = expected ? `for ${expected.collection}/${expected.name}:${expected.tag}@${expected.version}` : 'read';
  if (typeof text !== 'string' || Buffer.byteLength(text) > MAX_MANIFEST_BYTES) {
    throw badManifest(where, `larger than ${MAX_MANIFEST_BYTES} bytes`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw badManifest(where, 'not JSON');
  }
  const manifest = validateManifest(data, where);
  if (expected) {
    for (const key of ['collection', 'name', 'tag', 'version'] as const) {
      if (manifest[key] !== expected[key]) {
        throw badManifest(where, `its ${key} "${manifest[key]}" does not match the file it was read from ("${expected[key]}")`);
      }
    }
  }
  return manifest;
}

function badManifest(where: string, why: string): SregistryError {
  return new SregistryError('INVALID_RESPONSE', `Manifest ${where} is unusable: ${why}; re-push the image to rewrite it`);
}

const SOURCE_KEY_RE = /^[a-z0-9_]{1,64}$/;
const MAX_SHORT_STRING = 4096;
const MAX_LABELS = 1000;
const MAX_DEFINITION_BYTES = 256 * 1024;

function validateManifest(data: unknown, where: string): Manifest {
  if (!isPlainObject(data)) throw badManifest(where, 'not a JSON object');
  const str = (key: string): string => {
    const v = data[key];
    if (typeof v !== 'string') throw badManifest(where, `"${key}" must be a string`);
    return v;
  };
  const collection = str('collection');
  const name = str('name');
  const tag = str('tag');
  const version = str('version');
  if (!isValidName(collection)) throw badManifest(where, `"collection" ${JSON.stringify(collection)} is not a valid name`);
  if (!isValidName(name)) throw badManifest(where, `"name" ${JSON.stringify(name)} is not a valid name`);
  if (!isValidTag(tag)) throw badManifest(where, `"tag" ${JSON.stringify(tag)} is not a valid tag`);
  if (!isValidVersion(version)) throw badManifest(where, '"version" must be 64 lowercase hex');
  const sha256 = str('sha256');
  if (sha256 !== version) throw badManifest(where, '"sha256" must equal "version"');

  const uri = str('uri');
  let parsed;
  try {
    parsed = parseGlobusUri(uri);
  } catch {
    throw badManifest(where, `"uri" ${JSON.stringify(uri.slice(0, 200))} is not a globus:// image URI`);
  }
  const r = parsed.ref;
  if (!r || r.collection !== collection || r.name !== name || r.tag !== tag || r.version !== version) {
    throw badManifest(where, '"uri" does not name the same image as the other fields');
  }

  const size = data.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw badManifest(where, '"size" must be a non-negative integer');
  const created = str('created');
  if (created.length > 64 || Number.isNaN(Date.parse(created))) throw badManifest(where, '"created" must be an ISO 8601 time');
  const pushedBy = str('pushed_by');
  if (pushedBy === '' || pushedBy.length > 256 || hasControl(pushedBy)) throw badManifest(where, '"pushed_by" must be a client id');

  const manifest: Manifest = { uri, collection, name, tag, version, size, sha256, created, pushed_by: pushedBy };

  if (data.source !== undefined && data.source !== null) {
    if (!isPlainObject(data.source)) throw badManifest(where, '"source" must be an object of strings');
    const source: ManifestSource = {};
    for (const [k, v] of Object.entries(data.source)) {
      if (!SOURCE_KEY_RE.test(k)) throw badManifest(where, `"source" key ${JSON.stringify(k.slice(0, 80))} must match [a-z0-9_]{1,64}`);
      if (typeof v !== 'string' || v.length > MAX_SHORT_STRING || hasControl(v)) throw badManifest(where, `"source.${k}" must be a short string`);
      source[k] = v;
    }
    manifest.source = source;
  }
  if (data.labels !== undefined && data.labels !== null) {
    if (!isPlainObject(data.labels)) throw badManifest(where, '"labels" must be an object of strings');
    const entries = Object.entries(data.labels);
    if (entries.length > MAX_LABELS) throw badManifest(where, `more than ${MAX_LABELS} labels`);
    const labels: Record<string, string> = {};
    for (const [k, v] of entries) {
      if (typeof v !== 'string') throw badManifest(where, `label ${JSON.stringify(k.slice(0, 80))} must be a string`);
      labels[k] = v;
    }
    manifest.labels = labels;
  }
  if (data.definition !== undefined && data.definition !== null) {
    if (typeof data.definition !== 'string' || Buffer.byteLength(data.definition) > MAX_DEFINITION_BYTES) {
      throw badManifest(where, `"definition" must be a string of at most ${MAX_DEFINITION_BYTES} bytes`);
    }
    manifest.definition = data.definition;
  }
  return manifest;
}

// eslint-disable-next-line no-control-regex
const hasControl = (s: string): boolean => /[\u0000-\u001f\u007f]/.test(s);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ---------------------------------------------------------------------------------------
// Choosing a version

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
