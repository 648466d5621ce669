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
import { isUuid, isValidName, isValidTag, isValidVersion, validateRef, type ImageRef, type VersionedRef } from './uri.js';

export const SNIFF_ROOTS: readonly string[] = Object.freeze(['/shub/', '/~/.singularity/shub/', '/~/shub/', '/']);
export const DEFAULT_ROOT = '/shub/';
export const MARKER = '.sregistry';
export const LAYOUT_VERSION = 1;
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

/** The ref, checked, with its version; throws when it has none (a file is named by it). */
export function requireVersion(ref: ImageRef): VersionedRef {
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

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const WEB_APP = 'https://app.globus.org/file-manager';

/** The Globus web app's file manager opened on the folder that holds `path` on `endpoint`. */
export function webAppUrl(endpoint: string, path: string): string {
  const folder = `${path.slice(0, path.lastIndexOf('/') + 1) || '/'}`;
  return `${WEB_APP}?origin_id=${encodeURIComponent(endpoint)}&origin_path=${encodeURIComponent(folder)}`;
}
