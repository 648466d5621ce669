/**
 * A version's manifest, `<tag>@<version>.sif.json` beside its image: built on push, and
 * parsed and checked field by field whenever one is read from a remote.
 */
import { SregistryError } from './errors.js';
import { isPlainObject, requireVersion } from './layout.js';
import { formatGlobusUri, isValidName, isValidTag, isValidVersion, parseGlobusUri, type VersionedRef } from './uri.js';

/** Manifests are small; anything bigger is not one. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

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
  /**
   * Fingerprints of the SIF's signers as the pushed file names them: advisory, to show
   * and search by; never trusted in place of checking the image's own signatures.
   */
  signatures?: string[];
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
  signatures?: string[];
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
  if (input.signatures && input.signatures.length > 0) manifest.signatures = [...input.signatures];
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
        throw badManifest(
          where,
          `its ${key} "${manifest[key]}" does not match the file it was read from ("${expected[key]}")`,
        );
      }
    }
  }
  return manifest;
}

function badManifest(where: string, why: string): SregistryError {
  return new SregistryError(
    'INVALID_RESPONSE',
    `Manifest ${where} is unusable: ${why}; re-push the image to rewrite it`,
  );
}

const SOURCE_KEY_RE = /^[a-z0-9_]{1,64}$/;
const MAX_SHORT_STRING = 4096;
const MAX_LABELS = 1000;
const MAX_DEFINITION_BYTES = 256 * 1024;
const MAX_SIGNERS = 64;
const FINGERPRINT_RE = /^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/;

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
  if (!isValidName(collection))
    throw badManifest(where, `"collection" ${JSON.stringify(collection)} is not a valid name`);
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
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    throw badManifest(where, '"size" must be a non-negative integer');
  const created = str('created');
  if (created.length > 64 || Number.isNaN(Date.parse(created)))
    throw badManifest(where, '"created" must be an ISO 8601 time');
  const pushedBy = str('pushed_by');
  if (pushedBy === '' || pushedBy.length > 256 || hasControl(pushedBy))
    throw badManifest(where, '"pushed_by" must be a client id');

  const manifest: Manifest = { uri, collection, name, tag, version, size, sha256, created, pushed_by: pushedBy };

  if (data.source !== undefined && data.source !== null) {
    if (!isPlainObject(data.source)) throw badManifest(where, '"source" must be an object of strings');
    const source: ManifestSource = {};
    for (const [k, v] of Object.entries(data.source)) {
      if (!SOURCE_KEY_RE.test(k))
        throw badManifest(where, `"source" key ${JSON.stringify(k.slice(0, 80))} must match [a-z0-9_]{1,64}`);
      if (typeof v !== 'string' || v.length > MAX_SHORT_STRING || hasControl(v))
        throw badManifest(where, `"source.${k}" must be a short string`);
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
  if (data.signatures !== undefined && data.signatures !== null) {
    const list = data.signatures;
    if (
      !Array.isArray(list) ||
      list.length > MAX_SIGNERS ||
      !list.every((f) => typeof f === 'string' && FINGERPRINT_RE.test(f))
    ) {
      throw badManifest(where, `"signatures" must be a list of at most ${MAX_SIGNERS} OpenPGP fingerprints (hex)`);
    }
    manifest.signatures = list.map((f: string) => f.toUpperCase());
  }
  return manifest;
}

// eslint-disable-next-line no-control-regex
const hasControl = (s: string): boolean => /[\u0000-\u001f\u007f]/.test(s);
