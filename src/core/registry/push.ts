/**
 * push: a local file to `globus://<endpoint>/<collection>/<name>[:<tag>]`.
 *
 * The file is read once in the normal case. The image folder is listed first; when no
 * version there has the file's size, the bytes go straight up (HTTPS hashes them in the
 * same pass); when one has, the file is hashed first and an existing version is reused.
 * Bytes land under a hidden name and become visible by rename, the manifest last, so a
 * reader never sees half an image. More tags are made by one server-side copy task.
 */
import { randomUUID } from 'node:crypto';
import { SregistryError, isSregistryError } from '../errors.js';
import {
  buildManifest,
  imageFolder,
  imagePath,
  indexListing,
  manifestPath,
  manifestText,
  markerContent,
  markerPath,
  uploadPath,
  parseListingTime,
  parseUploadFileName,
  type ImageVersionEntry,
  type ListingEntry,
  type Manifest,
} from '../layout.js';
import { readSif } from '../sif.js';
import { discardTemp } from '../storage.js';
import { formatGlobusUri, isValidTag, parseGlobusUri, type ImageRef, type VersionedRef } from '../uri.js';
import { hashFile, localFileSize, tempTextFile } from './local-files.js';
import { toEndpointPath } from './local-paths.js';
import { localEndpoint, putText } from './manifest-io.js';
import { checkAborted, deleteAndWait, humanBytes, isMissingPath, transferAndWait } from './remote.js';
import { locateRoot } from './root.js';
import { httpsTarget, type EndpointInfo, type Session } from './session.js';
import { chooseTransport } from './transport.js';
import type { ImageResult, PushOptions, Transport } from './types.js';

interface Plan {
  session: Session;
  ep: EndpointInfo;
  transport: Transport;
  root: string;
  ref: ImageRef;
  file: string;
  size: number;
  signal: AbortSignal | undefined;
  label: string;
  /** The SIF's definition file, for the manifest. */
  definition: string | undefined;
  /** Hidden remote paths this push created (removed on failure). */
  hidden: string[];
  /** Image files this push made visible (removed on failure, before their manifests exist). */
  published: string[];
}

export function parseTags(first: string, more: readonly string[] = []): string[] {
  const tags: string[] = [];
  for (const raw of [first, ...more]) {
    const tag = raw.trim().toLowerCase();
    if (!isValidTag(tag)) throw new SregistryError('INVALID_REFERENCE', `Invalid tag "${raw}": expected [a-z0-9_-][a-z0-9._-]* (at most 128 characters)`);
    if (!tags.includes(tag)) tags.push(tag);
  }
  return tags;
}

export async function push(session: Session, file: string, uriText: string, opts: PushOptions = {}): Promise<ImageResult[]> {
  const signal = opts.signal;
  const parsed = parseGlobusUri(uriText);
  if (!parsed.ref) throw new SregistryError('INVALID_REFERENCE', `${uriText} names a registry, not an image: push to globus://<endpoint>/<collection>/<name>[:<tag>]`);
  const ref = parsed.ref;
  const tags = parseTags(ref.tag, opts.tags);
  const size = await localFileSize(file);
  const ep = await session.endpoint(parsed.endpoint, signal);
  const transport = chooseTransport({
    choice: session.options.transport,
    httpsServer: ep.httpsServer,
    endpointId: ep.id,
    endpointName: ep.displayName,
    ...(session.options.localEndpoint ? { localEndpoint: session.options.localEndpoint } : {}),
  });
  const located = await locateRoot(session, ep, true, signal);
  const plan: Plan = {
    session,
    ep,
    transport,
    root: located.root,
    ref,
    file,
    size,
    signal,
    label: `${ref.collection}/${ref.name}:${ref.tag}`,
    definition: undefined,
    hidden: [],
    published: [],
  };
  const folder = imageFolder(plan.root, ref);
  session.step(`listing ${folder}`);
  const entries = located.missing ? undefined : await listImageFolder(session, ep, folder, signal);
  const versions = indexListing(entries ?? []);

  const sif = await readSif(file).catch(() => undefined);
  const labels = sif?.labels;
  plan.definition = sif?.definition;

  let version: string | undefined;
  if (transport === 'transfer' || versions.some((v) => v.size === size)) {
    version = await hashLocal(plan);
    if (ref.version && ref.version !== version) throw versionMismatch(ref, version);
  }

  let results: ImageResult[];
  try {
    results = await publish(plan, tags, versions, entries === undefined, located.missing, version, labels, opts.source);
  } catch (err) {
    await cleanup(plan);
    throw err;
  }
  // The listing already shows uploads that earlier pushes left when they died: sweep them.
  await removeQuietly(plan, staleUploads(folder, entries ?? [], Date.now()), 'stale');
  return results;
}

async function listImageFolder(session: Session, ep: EndpointInfo, folder: string, signal?: AbortSignal) {
  const out = [];
  try {
    for await (const e of session.transfer.ls(ep.id, folder, signal ? { signal } : {})) {
      out.push({ name: e.name, type: e.type, size: e.size, last_modified: e.last_modified });
    }
  } catch (err) {
    if (isMissingPath(err)) return undefined;
    throw err;
  }
  return out;
}

async function hashLocal(plan: Plan): Promise<string> {
  plan.session.step(`hashing ${humanBytes(plan.size)}`);
  const { sha256, size } = await hashFile(
    plan.file,
    (bytes) => plan.session.progress({ phase: 'hash', image: plan.label, bytes, total: plan.size }),
    plan.signal,
  );
  if (size !== plan.size) throw changedWhileReading(plan.file);
  return sha256;
}

const changedWhileReading = (file: string): SregistryError =>
  new SregistryError('LOCAL_IO', `${file} changed while it was being pushed: push it again once it is complete`);

const versionMismatch = (ref: ImageRef, actual: string): SregistryError =>
  new SregistryError(
    'CHECKSUM_MISMATCH',
    `The URI pins version ${ref.version} but the file's SHA-256 is ${actual}: drop the @version or push the matching file`,
  );

async function publish(
  plan: Plan,
  tags: string[],
  versions: ImageVersionEntry[],
  folderMissing: boolean,
  rootMissing: boolean,
  knownVersion: string | undefined,
  labels: Record<string, string> | undefined,
  source: Record<string, string> | undefined,
): Promise<ImageResult[]> {
  const { session, ep, ref, signal } = plan;
  let version = knownVersion;
  const existingTags = new Set<string>();
  let copySource: string | undefined;
  if (version !== undefined) {
    for (const v of versions) {
      if (v.version === version && v.hasManifest && v.size === plan.size) {
        existingTags.add(v.tag);
        copySource ??= imagePath(plan.root, { ...ref, tag: v.tag, version });
      }
    }
    if (tags.every((t) => existingTags.has(t))) {
      session.notice(`${plan.label}@${version} is already there: nothing uploaded`);
      return tags.map((tag) => result(plan, tag, version!, 'exists', undefined, undefined));
    }
  }
  const missing = tags.filter((t) => !existingTags.has(t));
  const created = new Date();
  let firstTaskId: string | undefined;
  let manifests: Map<string, Manifest> | undefined;
  const manifestHidden = new Map<string, string>();

  if (plan.transport === 'https') {
    if (folderMissing) {
      session.step(`creating ${imageFolder(plan.root, ref)}`);
      await session.transfer.mkdirs(ep.id, imageFolder(plan.root, ref), signal ? { signal } : {});
    }
    if (!copySource) {
      const tag = missing[0]!;
      const hidden = hiddenPath(plan, tag);
      session.step(`uploading ${humanBytes(plan.size)}`);
      const up = await session.https.upload(httpsTarget(ep), hidden, { file: plan.file }, {
        ...(signal ? { signal } : {}),
        onProgress: (bytes, total) => session.progress({ phase: 'upload', image: plan.label, bytes, ...(total !== undefined ? { total } : {}) }),
      });
      if (up.size !== plan.size) throw changedWhileReading(plan.file);
      if (version !== undefined && up.sha256 !== version) throw changedWhileReading(plan.file);
      version = up.sha256;
      if (ref.version && ref.version !== version) throw versionMismatch(ref, version);
      await rename(plan, hidden, imagePath(plan.root, { ...ref, tag, version }), true);
      copySource = imagePath(plan.root, { ...ref, tag, version });
      existingTags.add(tag);
    }
  } else {
    // Transfer: one task from the local endpoint carries the image (unless a copy
    // already exists there), every manifest and, for a new registry, the marker.
    const local = localEndpoint(session);
    manifests = buildManifests(plan, missing, version!, created, labels, source);
    const temps: string[] = [];
    try {
      const items = [];
      const firstTag = missing[0]!;
      let imageHidden: string | undefined;
      if (!copySource) {
        imageHidden = hiddenPath(plan, firstTag);
        items.push({ source: toEndpointPath(plan.file, session.options.localPathMap), destination: imageHidden });
      }
      for (const tag of missing) {
        const temp = await tempTextFile(session.options.storage, manifestText(manifests.get(tag)!));
        temps.push(temp);
        const hidden = hiddenPath(plan, tag);
        manifestHidden.set(tag, hidden);
        items.push({ source: toEndpointPath(temp, session.options.localPathMap), destination: hidden });
      }
      if (rootMissing) {
        const temp = await tempTextFile(session.options.storage, markerContent(session.clientId, created));
        temps.push(temp);
        items.push({ source: toEndpointPath(temp, session.options.localPathMap), destination: markerPath(plan.root) });
      }
      session.step(imageHidden ? `transferring ${humanBytes(plan.size)}` : 'transferring the manifests');
      firstTaskId = await transferAndWait({ session, ...(signal ? { signal } : {}), image: plan.label, total: plan.size }, local, ep.id, items, `sregistry push ${plan.label}`);
      if (imageHidden) {
        const final = imagePath(plan.root, { ...ref, tag: firstTag, version: version! });
        await rename(plan, imageHidden, final, true);
        copySource = final;
        existingTags.add(firstTag);
      }
    } finally {
      for (const t of temps) await discardTemp(t).catch(() => undefined);
    }
  }

  const v = version!;
  // The other tags: one server-side copy of the published file, then renames.
  const toCopy = missing.filter((t) => !existingTags.has(t));
  let copyTaskId: string | undefined;
  if (toCopy.length > 0) {
    const hiddenByTag = new Map(toCopy.map((t) => [t, hiddenPath(plan, t)]));
    session.step(`copying to tag${toCopy.length > 1 ? 's' : ''} ${toCopy.join(', ')}`);
    copyTaskId = await transferAndWait(
      { session, ...(signal ? { signal } : {}), image: plan.label, total: plan.size * toCopy.length },
      ep.id,
      ep.id,
      toCopy.map((t) => ({ source: copySource!, destination: hiddenByTag.get(t)! })),
      `sregistry tag ${plan.label}`,
    );
    for (const t of toCopy) await rename(plan, hiddenByTag.get(t)!, imagePath(plan.root, { ...ref, tag: t, version: v }), true);
  }

  // Manifests last: a version is complete (and resolvable) only once its manifest exists.
  if (plan.transport === 'https') {
    manifests = buildManifests(plan, missing, v, created, labels, source);
    for (const tag of missing) {
      const hidden = hiddenPath(plan, tag);
      session.step(`writing the manifest of ${ref.collection}/${ref.name}:${tag}`);
      await putText(session, ep, hidden, manifestText(manifests.get(tag)!), signal);
      await rename(plan, hidden, manifestPath(plan.root, { ...ref, tag, version: v }), false);
    }
    if (rootMissing) {
      session.step(`writing the registry marker at ${plan.root}`);
      await putText(session, ep, markerPath(plan.root), markerContent(session.clientId, created), signal);
    }
  } else {
    for (const tag of missing) await rename(plan, manifestHidden.get(tag)!, manifestPath(plan.root, { ...ref, tag, version: v }), false);
  }
  plan.published.length = 0;
  session.roots.set(ep.id, plan.root);

  return tags.map((tag) => {
    if (!missing.includes(tag)) return result(plan, tag, v, 'exists', undefined, undefined);
    const taskId = toCopy.includes(tag) ? copyTaskId : firstTaskId;
    return result(plan, tag, v, 'pushed', taskId, manifests!.get(tag));
  });
}

function hiddenPath(plan: Plan, tag: string): string {
  const path = uploadPath(plan.root, { ...plan.ref, tag }, randomUUID());
  plan.hidden.push(path);
  return path;
}

async function rename(plan: Plan, from: string, to: string, isImage: boolean): Promise<void> {
  checkAborted(plan.signal);
  const opts = plan.signal ? { signal: plan.signal } : {};
  try {
    await plan.session.transfer.rename(plan.ep.id, from, to, opts);
  } catch (err) {
    // A rename retried after its answer was lost finds its source gone: done if the target is there.
    if (!isMissingPath(err) || (await plan.session.transfer.stat(plan.ep.id, to, opts))?.type !== 'file') throw err;
  }
  plan.hidden = plan.hidden.filter((p) => p !== from);
  if (isImage) plan.published.push(to);
}

function buildManifests(
  plan: Plan,
  tags: string[],
  version: string,
  created: Date,
  labels: Record<string, string> | undefined,
  source: Record<string, string> | undefined,
): Map<string, Manifest> {
  const out = new Map<string, Manifest>();
  for (const tag of tags) {
    const ref: VersionedRef = { collection: plan.ref.collection, name: plan.ref.name, tag, version };
    out.set(
      tag,
      buildManifest({
        endpoint: plan.ep.id,
        ref,
        size: plan.size,
        pushedBy: plan.session.clientId,
        created,
        ...(source ? { source } : {}),
        ...(labels ? { labels } : {}),
        ...(plan.definition ? { definition: plan.definition } : {}),
      }),
    );
  }
  return out;
}

function result(plan: Plan, tag: string, version: string, status: 'pushed' | 'exists', taskId: string | undefined, manifest: Manifest | undefined): ImageResult {
  const ref: VersionedRef = { collection: plan.ref.collection, name: plan.ref.name, tag, version };
  const path = imagePath(plan.root, ref);
  const out: ImageResult = {
    uri: formatGlobusUri({ endpoint: plan.ep.id, ref }),
    collection: ref.collection,
    name: ref.name,
    tag,
    version,
    size: plan.size,
    sha256: version,
    path,
    endpoint: plan.ep.id,
    transport: plan.transport,
    status,
  };
  if (plan.ep.httpsServer) out.httpsUrl = plan.session.https.url(httpsTarget(plan.ep), path);
  if (taskId) out.taskId = taskId;
  if (manifest) {
    out.created = manifest.created;
    if (manifest.labels) out.labels = manifest.labels;
  }
  return out;
}

/** Best effort: removes what this push left behind; never throws, never uses the caller's (maybe aborted) signal. */
async function cleanup(plan: Plan): Promise<void> {
  const { session, ep } = plan;
  const signal = AbortSignal.timeout(60_000);
  // An image file is named by its hash, so another push of the same file may have
  // published it too: once a manifest sits beside it, it belongs to a complete version.
  const published: string[] = [];
  for (const p of plan.published) {
    const manifest = await session.transfer.stat(ep.id, `${p}.json`, { signal }).catch(() => null);
    if (manifest === undefined) published.push(p);
  }
  await removeQuietly(plan, [...plan.hidden, ...published], 'unfinished');
}

/** Best effort, never throws: deletes remote files (HTTPS DELETEs, or one delete task). */
async function removeQuietly(plan: Plan, paths: string[], what: string): Promise<void> {
  if (paths.length === 0) return;
  const { session, ep } = plan;
  const signal = AbortSignal.timeout(60_000);
  session.step(`removing ${paths.length} ${what} file${paths.length > 1 ? 's' : ''}`);
  try {
    if (plan.transport === 'https' && ep.httpsServer) {
      for (const p of paths) {
        await session.https.remove(httpsTarget(ep), p, { signal }).catch((err: unknown) => {
          if (!(isSregistryError(err) && err.code === 'NOT_FOUND')) throw err;
        });
      }
    } else {
      await deleteAndWait({ session, signal, image: plan.label }, ep.id, paths, `sregistry cleanup ${plan.label}`);
    }
  } catch (err) {
    session.notice(`Could not remove ${what} upload files (${paths.join(', ')}): ${isSregistryError(err) ? err.message : String(err)}`);
  }
}

/** A hidden upload this old was left by a push that died; younger ones may still be growing. */
export const STALE_UPLOAD_MS = 24 * 60 * 60 * 1000;

/** The hidden uploads of an image folder's listing that are stale by `now`. */
export function staleUploads(folder: string, entries: readonly ListingEntry[], now: number): string[] {
  const dir = folder.endsWith('/') ? folder : `${folder}/`;
  return entries
    .filter((e) => (e.type === undefined || e.type === 'file') && parseUploadFileName(e.name) !== undefined)
    .filter((e) => (parseListingTime(e.last_modified) ?? now) < now - STALE_UPLOAD_MS)
    .map((e) => `${dir}${e.name}`);
}
