/**
 * Image references and `globus://` URIs: parsing, validation and canonical formatting.
 *
 * Grammar (DESIGN.md "Names"):
 *   reference  = [collection "/"] name [":" tag] ["@" ["sha256:"] version]
 *   collection = name = [a-z0-9][a-z0-9._-]*   (at most 128 characters)
 *   tag        = [a-z0-9_-][a-z0-9._-]*        (at most 128; no leading "." so that the
 *                                               image file `<tag>@<version>.sif` is never hidden)
 *   version    = 64 lowercase hex (the file's SHA-256)
 * The whole text is lower-cased first. A `.sif`, `.simg` or `.img` suffix is stripped once,
 * from the end of the name only (`ubuntu.sif:22.04` names `ubuntu`; `ubuntu:v1.sif` keeps the tag `v1.sif`);
 * a name that still ends in such a suffix afterwards (`a.sif.sif`) is refused. Only printable ASCII is accepted.
 *
 *   globus-uri = "globus://" endpoint ["/" [collection "/" name [":" tag] ["@" version]]]
 *   endpoint   = a UUID, or a display name written with letters, digits, "-", "_", ".", "~"
 *                and %XX escapes for anything else (e.g. a space is %20).
 *
 * The forms people bring from the other tools name a file on the endpoint instead:
 *   globus://<endpoint>:<path>   (sregistry-cli, `sregistry/main/globus/pull.py`)
 *   <endpoint>:<path>            (globus-cli's ENDPOINT_ID:PATH)
 * A path to an image in a registry layout, `.../<collection>/<name>/<tag>@<version>.sif`,
 * is that image (pinned to its version, so it is the same bytes under any root); any
 * other path is refused with the equivalent globus://<endpoint>/<collection>/<name>:<tag>.
 */
import { SregistryError } from './errors.js';

export const DEFAULT_COLLECTION = 'library';
export const DEFAULT_TAG = 'latest';
export const MAX_NAME_LENGTH = 128;
/** Longest endpoint display name accepted, after %-decoding. */
export const MAX_ENDPOINT_LENGTH = 256;

export interface ImageRef {
  collection: string;
  name: string;
  tag: string;
  /** SHA-256 of the image file, 64 lowercase hex. */
  version?: string;
}

/** A reference that names one exact file. */
export type VersionedRef = ImageRef & { version: string };

export interface GlobusUri {
  /** Endpoint/collection UUID (lower-cased) or display name (as written, %-decoded). */
  endpoint: string;
  /** Absent when the URI names the whole registry. */
  ref?: ImageRef;
}

const NAME_RE = /^[a-z0-9][a-z0-9._-]*$/;
const TAG_RE = /^[a-z0-9_-][a-z0-9._-]*$/;
const VERSION_RE = /^[0-9a-f]{64}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SUFFIX_RE = /\.(sif|simg|img)$/;
const ENDPOINT_RAW_RE = /^(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})+$/;

const REF_FORM =
  'expected [collection/]name[:tag][@sha256:<64 hex>] with collection and name matching [a-z0-9][a-z0-9._-]* and tag matching [a-z0-9_-][a-z0-9._-]* (each at most 128 characters)';
const URI_FORM = 'expected globus://<endpoint UUID or %-encoded display name>[/<collection>/<name>[:<tag>][@<sha256>]]';

/** A name never ends in an image suffix: the parser strips those, so such a name would not survive a round trip. */
export const isValidName = (s: string): boolean => s.length <= MAX_NAME_LENGTH && NAME_RE.test(s) && !SUFFIX_RE.test(s);
export const isValidTag = (s: string): boolean => s.length <= MAX_NAME_LENGTH && TAG_RE.test(s);
export const isValidVersion = (s: string): boolean => VERSION_RE.test(s);
export const isUuid = (s: string): boolean => UUID_RE.test(s);

function invalidRef(text: string, why?: string): SregistryError {
  const shown = JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);
  return new SregistryError(
    'INVALID_REFERENCE',
    `Invalid image reference ${shown}${why ? ` (${why})` : ''}: ${REF_FORM}`,
  );
}

function invalidUri(text: string, why: string): SregistryError {
  const shown = JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);
  return new SregistryError('INVALID_REFERENCE', `Invalid Globus URI ${shown} (${why}): ${URI_FORM}`);
}

/** Parses `[collection/]name[:tag][@version]`, filling in `library` and `latest`. */
export function parseReference(text: string): ImageRef {
  if (typeof text !== 'string') throw invalidRef(String(text));
  const trimmed = text.trim();
  if (trimmed === '') throw invalidRef(text, 'empty');
  // ASCII only, checked before lower-casing: some non-ASCII letters lower-case to ASCII ones.
  if (!/^[\x21-\x7e]+$/.test(trimmed)) throw invalidRef(text, 'only printable ASCII without spaces is allowed');
  const lower = trimmed.toLowerCase();

  let rest = lower;
  let version: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    version = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (version.startsWith('sha256:')) version = version.slice('sha256:'.length);
    if (!isValidVersion(version)) throw invalidRef(text, 'the version must be a SHA-256 of 64 hex digits');
  }

  let tag = DEFAULT_TAG;
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!isValidTag(tag)) throw invalidRef(text, `bad tag "${tag}"`);
  }

  let collection = DEFAULT_COLLECTION;
  const parts = rest.split('/');
  if (parts.length > 2) throw invalidRef(text, 'at most one "/"');
  if (parts.length === 2) collection = parts[0] ?? '';
  let name = parts[parts.length - 1] ?? '';
  name = name.replace(SUFFIX_RE, '');

  if (!isValidName(collection)) throw invalidRef(text, `bad collection "${collection}"`);
  if (!isValidName(name)) throw invalidRef(text, `bad name "${name}"`);
  return version === undefined ? { collection, name, tag } : { collection, name, tag, version };
}

/**
 * Checks a reference object built elsewhere (e.g. read from a manifest) against the
 * grammar; returns a clean copy with only the known fields.
 */
export function validateRef(ref: ImageRef): ImageRef {
  const r = ref as unknown as Record<string, unknown>;
  const shown = `${String(r.collection)}/${String(r.name)}:${String(r.tag)}${r.version === undefined ? '' : `@${String(r.version)}`}`;
  if (typeof r.collection !== 'string' || !isValidName(r.collection)) throw invalidRef(shown, 'bad collection');
  if (typeof r.name !== 'string' || !isValidName(r.name)) throw invalidRef(shown, 'bad name');
  if (typeof r.tag !== 'string' || !isValidTag(r.tag)) throw invalidRef(shown, 'bad tag');
  if (r.version !== undefined && (typeof r.version !== 'string' || !isValidVersion(r.version))) {
    throw invalidRef(shown, 'the version must be a SHA-256 of 64 hex digits');
  }
  const clean: ImageRef = { collection: r.collection, name: r.name, tag: r.tag };
  if (r.version !== undefined) clean.version = r.version as string;
  return clean;
}

/** Canonical text: always `collection/name:tag`, then `@<version>` when there is one. */
export function formatReference(ref: ImageRef): string {
  const r = validateRef(ref);
  return `${r.collection}/${r.name}:${r.tag}${r.version ? `@${r.version}` : ''}`;
}

/** Parses `globus://<endpoint>[/<collection>/<name>[:<tag>][@<version>]]`. */
export function parseGlobusUri(text: string): GlobusUri {
  if (typeof text !== 'string') throw invalidUri(String(text), 'not text');
  const trimmed = text.trim();
  const scheme = trimmed.slice(0, 'globus://'.length);
  if (scheme.toLowerCase() !== 'globus://') throw invalidUri(text, 'it must start with globus://');
  const body = trimmed.slice(scheme.length);
  const pathForm = splitEndpointPath(body);
  if (pathForm) return imageAtPath(text, pathForm.endpoint, pathForm.path);
  const slash = body.indexOf('/');
  const rawEndpoint = slash < 0 ? body : body.slice(0, slash);
  const path = slash < 0 ? '' : body.slice(slash + 1);

  const endpoint = decodeEndpoint(text, rawEndpoint);
  if (path === '') return { endpoint };
  if (!path.includes('/')) throw invalidUri(text, 'the path must be <collection>/<name>');
  let ref: ImageRef;
  try {
    ref = parseReference(path);
  } catch {
    throw invalidUri(text, `bad image path ${JSON.stringify(path)}`);
  }
  return { endpoint, ref };
}

/** `<endpoint>:<path>` with the colon before any `/` and a path that is one (has a `/`); else undefined. */
function splitEndpointPath(text: string): { endpoint: string; path: string } | undefined {
  const m = /^([^/:\s]+):(.*\/.*)$/s.exec(text.trim());
  return m ? { endpoint: m[1] as string, path: m[2] as string } : undefined;
}

const IMAGE_AT_PATH_RE = /^(.+)@([0-9a-f]{64})\.sif$/;
/** A layout-2 version file: `sha256.<version>.sif`. */
const VERSION_AT_PATH_RE = /^sha256\.([0-9a-f]{64})\.sif$/;

/** The image a registry-layout path names on `rawEndpoint`, or a refusal that shows its globus:// equivalent. */
function imageAtPath(text: string, rawEndpoint: string, path: string): { endpoint: string; ref: ImageRef } {
  const endpoint = decodeEndpoint(text, rawEndpoint);
  const parts = path.split('/').filter((p) => p !== '');
  const file = IMAGE_AT_PATH_RE.exec(parts.at(-1) ?? '');
  const versionFile = VERSION_AT_PATH_RE.exec(parts.at(-1) ?? '');
  if ((file || versionFile) && parts.length >= 3) {
    const [collection, name] = parts.slice(-3, -1) as [string, string];
    try {
      // A version file names no tag: `name@<version>`, which pulls it under a tag that names it.
      const ref = parseReference(
        file
          ? `${collection}/${name}:${file[1] as string}@${file[2] as string}`
          : `${collection}/${name}@${versionFile![1] as string}`,
      );
      if (ref.collection === collection && ref.name === name) return { endpoint, ref };
    } catch {
      // not our grammar: refused below with the form to use
    }
  }
  const host = formatGlobusUri({ endpoint });
  const [collection, name] = parts.slice(-2);
  const named = parts.length >= 2 && isValidName(collection ?? '') && isValidName(name ?? '');
  const equivalent = named
    ? `${host}/${collection as string}/${name as string}:<tag>`
    : `${host}/<collection>/<name>:<tag>`;
  throw new SregistryError(
    'INVALID_REFERENCE',
    `${JSON.stringify(text.trim())} is a path on the endpoint, not an image of a registry (<root>/<collection>/<name>/sha256.<sha256>.sif or <tag>@<sha256>.sif): write ${equivalent}`,
  );
}

/** globus-cli's `<endpoint>:<path>` (no scheme), a form toImageUri accepts. */
export const isEndpointPath = (text: string): boolean =>
  typeof text === 'string' && !isGlobusUri(text) && splitEndpointPath(text) !== undefined;

/**
 * Any accepted spelling of a remote image as its canonical `globus://` URI: a globus://
 * URI (the path form included) or `<endpoint>:<path>`. Throws INVALID_REFERENCE with the
 * form to use.
 */
export function toImageUri(text: string): string {
  const uri = isEndpointPath(text) ? `globus://${text.trim()}` : text;
  const parsed = parseImageUri(uri);
  return formatGlobusUri(parsed);
}

function decodeEndpoint(text: string, raw: string): string {
  if (raw === '') throw invalidUri(text, 'no endpoint');
  if (!ENDPOINT_RAW_RE.test(raw)) {
    throw invalidUri(text, 'the endpoint may hold letters, digits, "-", "_", ".", "~" and %XX escapes only');
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw invalidUri(text, 'the endpoint has a bad %-escape');
  }
  if (isUuid(decoded)) return decoded.toLowerCase();
  checkDisplayName(decoded, (why) => invalidUri(text, why));
  return decoded;
}

function checkDisplayName(name: string, fail: (why: string) => SregistryError): void {
  if (name.trim() === '') throw fail('the endpoint name is blank');
  if (name.length > MAX_ENDPOINT_LENGTH)
    throw fail(`the endpoint name is longer than ${MAX_ENDPOINT_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw fail('the endpoint name has control characters');
}

/** Canonical `globus://` text; display names are %-encoded, UUIDs lower-cased. */
export function formatGlobusUri(uri: GlobusUri): string {
  const { endpoint, ref } = uri;
  if (typeof endpoint !== 'string') throw invalidUri(String(endpoint), 'no endpoint');
  let host: string;
  if (isUuid(endpoint)) host = endpoint.toLowerCase();
  else {
    checkDisplayName(endpoint, (why) => invalidUri(endpoint, why));
    host = encodeEndpoint(endpoint);
  }
  return ref === undefined ? `globus://${host}` : `globus://${host}/${formatReference(ref)}`;
}

/** Like encodeURIComponent, but also escapes the few characters it leaves that are not unreserved. */
function encodeEndpoint(name: string): string {
  return encodeURIComponent(name).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Written as a `globus://` URI (any case, surrounding spaces ignored), whether or not it is a valid one. */
export const isGlobusUri = (text: string): boolean => /^\s*globus:\/\//i.test(text);

/**
 * A `globus://` URI that must name an image, not only a registry; `hint` tells the
 * caller how to write one.
 */
export function parseImageUri(
  text: string,
  hint = 'add /<collection>/<name>[:<tag>]',
): { endpoint: string; ref: ImageRef } {
  const parsed = parseGlobusUri(text);
  if (!parsed.ref)
    throw new SregistryError('INVALID_REFERENCE', `${text.trim()} names a registry, not an image: ${hint}`);
  return { endpoint: parsed.endpoint, ref: parsed.ref };
}

/**
 * The one tag-list grammar: tags one per line or separated by spaces or commas (in one
 * text or in a list of them), lower-cased, each once, in order. An empty input is an empty list.
 */
export function parseTags(input: string | readonly string[]): string[] {
  const tags: string[] = [];
  for (const item of typeof input === 'string' ? [input] : input) {
    for (const raw of String(item).split(/[\s,]+/)) {
      const tag = raw.toLowerCase();
      if (tag === '') continue;
      if (!isValidTag(tag))
        throw new SregistryError(
          'INVALID_REFERENCE',
          `Invalid tag "${raw}": expected [a-z0-9_-][a-z0-9._-]* (at most 128 characters)`,
        );
      if (!tags.includes(tag)) tags.push(tag);
    }
  }
  return tags;
}

/**
 * Why sregistry-cli's name parser (`sregistry/utils/names.py`, parse_image_name) would
 * read `collection/name:tag` as another image, and what to write instead; undefined when
 * both tools read it alike. It removes `.img`, `.simg` and `.sif` wherever they appear,
 * and takes a first part with a "." or ":" for a registry host, not a collection.
 */
export function sregistryCliConflict(ref: Pick<ImageRef, 'collection' | 'name' | 'tag'>): string | undefined {
  const suffixAnywhere = /\.(img|simg|sif)/g;
  const dash = (s: string) => s.replace(suffixAnywhere, '-$1');
  for (const [what, value] of [
    ['collection', ref.collection],
    ['name', ref.name],
    ['tag', ref.tag],
  ] as const) {
    if (new RegExp(suffixAnywhere.source).test(value)) {
      return `sregistry-cli removes ".img", ".simg" and ".sif" anywhere in a name, so it would not find the ${what} "${value}": use "${dash(value)}"`;
    }
  }
  if (ref.collection.includes('.')) {
    return `sregistry-cli reads a first part with a "." as a registry host, so "${ref.collection}/${ref.name}" would not be the collection "${ref.collection}": use "${ref.collection.replace(/\./g, '-')}"`;
  }
  return undefined;
}

/** Refuses a new image (and its extra tags) that sregistry-cli would read as another one; existing records are not checked. */
export function assertSharedName(ref: ImageRef, tags: readonly string[] = []): void {
  for (const tag of [ref.tag, ...tags]) {
    const why = sregistryCliConflict({ ...ref, tag: tag.toLowerCase() });
    if (why)
      throw new SregistryError(
        'INVALID_REFERENCE',
        `Refusing ${ref.collection}/${ref.name}:${tag.toLowerCase()}: ${why}`,
      );
  }
}

/**
 * Names, tags and versions are lower case (the grammar lower-cases them, as sregistry-cli
 * does, so both tools find the same records and `V1` and `v1` can never be two tags).
 * Folding is reported, never silent: this is the note for what was written with capitals,
 * each as written and as stored, or undefined when nothing was folded. The endpoint of a
 * `globus://` URI is not part of it (display names keep their case).
 */
export function caseFoldNote(texts: readonly string[]): string | undefined {
  const folded: string[] = [];
  for (const text of texts) {
    const trimmed = String(text).trim();
    const uri = /^globus:\/\/[^/]*\/?(.*)$/i.exec(trimmed);
    const part = uri ? (uri[1] ?? '') : trimmed;
    if (/[A-Z]/.test(part)) folded.push(`"${part}" as "${part.toLowerCase()}"`);
  }
  if (folded.length === 0) return undefined;
  return `names and tags are lower case (as sregistry-cli reads them, so V1 and v1 are one tag): ${folded.join(', ')}`;
}

/** The first 12 hex digits of a version, as registries usually show it. */
export const shortVersion = (version: string): string => version.slice(0, 12);

/** What a watch looks at: a collection, a name (any tag) or one tag of a name. */
export interface WatchTarget {
  endpoint: string;
  collection: string;
  /** Absent: every name of the collection. */
  name?: string;
  /** Absent: every tag of the name. */
  tag?: string;
}

const WATCH_FORM =
  'expected globus://<endpoint>/<collection>, globus://<endpoint>/<collection>/<name> or globus://<endpoint>/<collection>/<name>:<tag>';

/**
 * Parses a watch target. Unlike an image URI, a tag left out means "any tag" (not
 * `latest`), a collection alone is accepted, and a pinned `@version` is refused (it can
 * never change).
 */
export function parseWatchTarget(text: string): WatchTarget {
  const bad = (why: string): SregistryError =>
    new SregistryError(
      'INVALID_REFERENCE',
      `Invalid watch target ${JSON.stringify(String(text).trim().slice(0, 200))} (${why}): ${WATCH_FORM}`,
    );
  if (typeof text !== 'string') throw bad('not text');
  const trimmed = text.trim().replace(/\/+$/, '');
  if (!isGlobusUri(trimmed)) throw bad('it must start with globus://');
  const body = trimmed.slice('globus://'.length);
  const slash = body.indexOf('/');
  if (slash < 0) throw bad('name at least a collection: watching a whole registry is not supported');
  const { endpoint } = parseGlobusUri(`globus://${body.slice(0, slash)}`);
  const path = body.slice(slash + 1);
  if (!path.includes('/')) {
    const collection = path.toLowerCase();
    if (!isValidName(collection)) throw bad(`bad collection "${path}"`);
    return { endpoint, collection };
  }
  const { ref } = parseImageUri(trimmed);
  if (ref.version !== undefined) throw bad('a pinned @version never changes; leave it out');
  const last = path.slice(path.indexOf('/') + 1);
  return last.includes(':')
    ? { endpoint, collection: ref.collection, name: ref.name, tag: ref.tag }
    : { endpoint, collection: ref.collection, name: ref.name };
}

/** The canonical text of a watch target (display names %-encoded, UUIDs lower-cased). */
export function formatWatchTarget(t: WatchTarget): string {
  const registry = formatGlobusUri({ endpoint: t.endpoint });
  if (t.name === undefined) return `${registry}/${t.collection}`;
  return `${registry}/${t.collection}/${t.name}${t.tag === undefined ? '' : `:${t.tag}`}`;
}
