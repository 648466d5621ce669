/**
 * The registry's folder layouts on an endpoint (DESIGN.md "Names", architecture.md "Layout 2"):
 *
 *   <root>/.sregistry                                   marker, {"layout": 2, ...} (1 for older registries)
 *   <root>/<collection>/<name>/.<tag>@upload-<uuid>.partial   an upload in progress (both layouts)
 *
 * Layout 2 (new registries): one file per version, each tag a small stamped manifest.
 *   <root>/<collection>/<name>/sha256.<version>.sif               the version, named by its hash
 *   <root>/<collection>/<name>/<tag>@<version>.<stamp>.json       a tag naming it; newest stamp wins
 *
 * Layout 1 (read, and pushed to, where the marker says 1): a full copy per tag.
 *   <root>/<collection>/<name>/<tag>@<version>.sif      the image
 *   <root>/<collection>/<name>/<tag>@<version>.sif.json its manifest, written last
 *
 * Endpoint paths here are POSIX, absolute, and end with `/` when they name a folder.
 * Nothing read from a remote (file names, manifests) is trusted: every name is checked
 * again before it becomes part of a path.
 */
import { SregistryError } from './errors.js';
import {
  isUuid,
  isValidName,
  isValidTag,
  isValidVersion,
  validateRef,
  type ImageRef,
  type VersionedRef,
} from './uri.js';

export const SNIFF_ROOTS: readonly string[] = Object.freeze(['/shub/', '/~/.singularity/shub/', '/~/shub/', '/']);
export const DEFAULT_ROOT = '/shub/';
export const MARKER = '.sregistry';
/** The layout new registries get. */
export const LAYOUT_VERSION = 2;
/** The layouts this version reads (and pushes to). */
export const LAYOUTS: readonly number[] = Object.freeze([1, 2]);
export type Layout = 1 | 2;
/** Longest file or folder name most file systems (and the sandbox) accept, in bytes. */
export const MAX_SEGMENT_BYTES = 255;

const unsafe = (message: string): SregistryError => new SregistryError('UNSAFE_PATH', message);

/**
 * Throws unless `part` is one plain path segment: non-empty, not `.` or `..`, without `/`,
 * `\`, NUL or other control characters, at most 255 bytes.
 */
export function checkSegment(part: unknown): string {
  if (typeof part !== 'string' || part === '') throw unsafe('Refusing an empty path segment: names must be non-empty');
  const shown = JSON.stringify(part.length > 100 ? `${part.slice(0, 100)}…` : part);
  if (part === '.' || part === '..') throw unsafe(`Refusing path segment ${shown}: "." and ".." are not names`);
  if (part.includes('/') || part.includes('\\'))
    throw unsafe(`Refusing path segment ${shown}: a name may not contain "/" or "\\"`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(part))
    throw unsafe(`Refusing path segment ${shown}: a name may not contain NUL or control characters`);
  if (Buffer.byteLength(part) > MAX_SEGMENT_BYTES)
    throw unsafe(`Refusing path segment ${shown}: longer than ${MAX_SEGMENT_BYTES} bytes`);
  return part;
}

/**
 * Normalises an endpoint root to an absolute folder path ending in `/`: `/shub` → `/shub/`,
 * `~/shub` → `/~/shub/`, repeated slashes and `.` segments collapse. `..` is refused.
 */
export function normaliseRoot(root: string): string {
  if (typeof root !== 'string' || root.trim() === '') {
    throw new SregistryError(
      'INVALID_INPUT',
      'The registry root is empty: give an absolute endpoint path such as /shub/',
    );
  }
  let path = root.trim();
  if (path === '~' || path.startsWith('~/')) path = `/~${path.slice(1)}`;
  if (!path.startsWith('/')) {
    throw new SregistryError(
      'INVALID_INPUT',
      `The registry root "${root}" is not absolute: give an endpoint path such as /shub/ or /~/shub/`,
    );
  }
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  for (const s of segments) {
    if (s === '..')
      throw unsafe(`The registry root "${root}" contains "..": give it without parent references, e.g. /shub/`);
    checkSegment(s);
  }
  return segments.length === 0 ? '/' : `/${segments.join('/')}/`;
}

/**
 * A folder path as a guest collection's access rules name it. A guest collection shows
 * its shared folder as `/` and has no home of its own, so its `/~/` is that `/`: the
 * rules (and the permission checks against them) use the path without `/~`. Used for
 * guest collections only; elsewhere `/~/` is a user's home.
 */
export function guestRulePath(path: string): string {
  if (path === '/~' || path === '/~/') return '/';
  return path.startsWith('/~/') ? path.slice(2) : path;
}

/** `root` + segments, each checked with checkSegment, so the result cannot leave the root. */
export function joinInsideRoot(root: string, ...parts: string[]): string {
  const base = normaliseRoot(root);
  for (const p of parts) checkSegment(p);
  return base + parts.join('/');
}

/** The ref, checked, with its version; throws when it has none (a file is named by it). */
export function requireVersion(ref: ImageRef): VersionedRef {
  const clean = validateRef(ref);
  if (clean.version === undefined) {
    throw new SregistryError(
      'INVALID_INPUT',
      `The image ${clean.collection}/${clean.name}:${clean.tag} needs a version (its SHA-256) to name a file`,
    );
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

/** Layout 2: `sha256.<version>.sif`, the one file of a version, whatever tags name it. */
export const versionFileName = (version: string): string => {
  if (!isValidVersion(version))
    throw new SregistryError('INVALID_INPUT', `"${version}" is not a version (64 lowercase hex)`);
  return `sha256.${version}.sif`;
};

/** Layout 2: `<tag>@<version>.<stamp>.json`, a manifest saying that `tag` names `version` from `stamp` on. */
export const tagManifestName = (tag: string, version: string, stamp: string): string => {
  if (!isValidTag(tag) || !isValidVersion(version) || !STAMP_RE.test(stamp))
    throw new SregistryError('INVALID_INPUT', `Cannot name a manifest for ${tag}@${version} at ${stamp}`);
  return `${tag}@${version}.${stamp}.json`;
};

/** Layout 2: `<root>/<collection>/<name>/sha256.<version>.sif` */
export const versionFilePath = (root: string, ref: Pick<ImageRef, 'collection' | 'name'>, version: string): string =>
  `${imageFolder(root, ref)}${versionFileName(version)}`;

/** Layout 2: `<root>/<collection>/<name>/<tag>@<version>.<stamp>.json` */
export function tagManifestPath(root: string, ref: ImageRef, stamp: string): string {
  const r = requireVersion(ref);
  return `${imageFolder(root, r)}${tagManifestName(r.tag, r.version, stamp)}`;
}

/**
 * A manifest's stamp: the UTC time to the millisecond, `YYYYMMDDTHHMMSSmmmZ`, so that the
 * order of the names is the order of the times.
 */
export function formatStamp(date: Date): string {
  const iso = date.toISOString(); // 2024-01-15T01:45:50.123Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}${iso.slice(20, 23)}Z`;
}

/** Milliseconds since the epoch of a stamp; undefined when it is not one. */
export function parseStamp(stamp: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z$/.exec(stamp);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

const IMAGE_FILE_RE = /^([a-z0-9_-][a-z0-9._-]*)@([0-9a-f]{64})\.sif$/;
const MANIFEST_FILE_RE = /^([a-z0-9_-][a-z0-9._-]*)@([0-9a-f]{64})\.sif\.json$/;
const STAMP_RE = /^\d{8}T\d{9}Z$/;
const VERSION_FILE_RE = /^sha256\.([0-9a-f]{64})\.sif$/;
const TAG_MANIFEST_RE = /^([a-z0-9_-][a-z0-9._-]*)@([0-9a-f]{64})\.(\d{8}T\d{9}Z)\.json$/;
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

/** Layout 2: `sha256.<version>.sif` → the version; anything else → undefined. */
export function parseVersionFileName(name: string): string | undefined {
  const m = VERSION_FILE_RE.exec(name);
  return m && m[1] && isValidVersion(m[1]) ? m[1] : undefined;
}

export interface TagManifestName extends TagVersion {
  stamp: string;
  /** The stamp's time, ms since the epoch. */
  published: number;
}

/** Layout 2: `<tag>@<version>.<stamp>.json` → its parts; anything else (a layout-1 `.sif.json` included) → undefined. */
export function parseTagManifestName(name: string): TagManifestName | undefined {
  const m = TAG_MANIFEST_RE.exec(name);
  if (!m || !m[1] || !m[2] || !m[3] || !isValidTag(m[1]) || !isValidVersion(m[2])) return undefined;
  const published = parseStamp(m[3]);
  if (published === undefined) return undefined;
  return { tag: m[1], version: m[2], stamp: m[3], published };
}

/** `.<tag>@upload-<uuid>.partial` → tag and upload id (for cleaning up stale uploads). */
export function parseUploadFileName(name: string): { tag: string; uploadId: string } | undefined {
  const m = UPLOAD_FILE_RE.exec(name);
  if (!m || !m[1] || !m[2] || !isValidTag(m[1]) || !isUuid(m[2])) return undefined;
  return { tag: m[1], uploadId: m[2] };
}

// ---------------------------------------------------------------------------------------
// Marker

export interface Marker {
  layout: Layout;
  created?: string;
  created_by?: string;
}

/** The marker file's text, written on first push. */
export function markerContent(clientId?: string, now: Date = new Date()): string {
  const marker: Marker = { layout: LAYOUT_VERSION as Layout, created: now.toISOString() };
  if (clientId) marker.created_by = clientId;
  return `${JSON.stringify(marker)}\n`;
}

/** Reads a marker; refuses layouts this version does not know. */
export function parseMarker(text: string): Marker {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new SregistryError(
      'INVALID_RESPONSE',
      `The registry marker ${MARKER} is not JSON: expected {"layout": ${LAYOUT_VERSION}}`,
    );
  }
  if (!isPlainObject(data) || typeof data.layout !== 'number' || !Number.isInteger(data.layout)) {
    throw new SregistryError(
      'INVALID_RESPONSE',
      `The registry marker ${MARKER} has no integer "layout": expected {"layout": ${LAYOUT_VERSION}}`,
    );
  }
  if (!LAYOUTS.includes(data.layout)) {
    throw new SregistryError(
      'INVALID_RESPONSE',
      `The registry uses layout ${data.layout} but this version of sregistry-globus understands layouts ${LAYOUTS.join(' and ')} only: upgrade sregistry-globus or use another root`,
    );
  }
  const marker: Marker = { layout: data.layout as Layout };
  if (typeof data.created === 'string') marker.created = data.created;
  if (typeof data.created_by === 'string') marker.created_by = data.created_by;
  return marker;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const WEB_APP = 'https://app.globus.org/file-manager';

/** The Globus web app's file manager opened on the folder that holds `path` on `endpoint`. */
export function webAppUrl(endpoint: string, path: string): string {
  const folder = `${path.slice(0, path.lastIndexOf('/') + 1) || '/'}`;
  return `${WEB_APP}?origin_id=${encodeURIComponent(endpoint)}&origin_path=${encodeURIComponent(folder)}`;
}
