/**
 * Planning a push: parse the URI and tags, find the endpoint, transport and registry root,
 * list the image folder, and hash the file first only when that listing could hold it.
 * The target is read-only from here on; what the push leaves on the remote is the
 * staging's business.
 */
import { SregistryError } from '../../errors.js';
import {
  formatStamp,
  imageFolder,
  imagePath,
  manifestPath,
  tagManifestPath,
  versionFilePath,
  type Layout,
} from '../../layout.js';
import { readSif, sniffImageFile } from '../../sif.js';
import { signatureFingerprints } from '../../signing/sign.js';
import { parseImageUri, parseTags, type ImageRef } from '../../uri.js';
import { indexListing, type ImageVersionEntry, type ListingEntry } from '../../versions.js';
import { formatBytes as humanBytes } from '../../bytes.js';
import { hashFile, localFileSize } from '../local/file-facts.js';
import { listFolder } from '../lookup/listing.js';
import { layoutFromFolders, locateRoot, registryLayout } from '../lookup/root.js';
import type { EndpointInfo } from '../endpoint.js';
import type { Session } from '../session.js';
import type { TransportBackend } from '../transports/backend.js';
import { transportFor } from '../transports/transport.js';
import type { PushOptions } from '../types.js';

/** What is pushed where; fixed once planned. */
export interface PushTarget {
  readonly session: Session;
  readonly ep: EndpointInfo;
  /** How the files go up (transports/). */
  readonly backend: TransportBackend;
  readonly root: string;
  /** The registry's layout: what names the files get (layout.ts). */
  readonly layout: Layout;
  readonly ref: ImageRef;
  readonly file: string;
  readonly size: number;
  readonly signal: AbortSignal | undefined;
  /** `collection/name:tag`, for messages and progress. */
  readonly label: string;
  /** The SIF's definition file and labels, and where the image came from: for the manifest. */
  readonly definition: string | undefined;
  readonly labels: Record<string, string> | undefined;
  readonly source: Record<string, string> | undefined;
  /** Fingerprints of the SIF's signers, for the manifest (advisory). */
  readonly signatures: string[];
}

/** A target and what the image folder's listing showed. */
export interface PlannedPush {
  target: PushTarget;
  tags: string[];
  folder: string;
  /** The image folder's listing; undefined when the folder (or the whole registry) is missing. */
  entries: ListingEntry[] | undefined;
  versions: ImageVersionEntry[];
  /** No registry marker was found: this push creates the registry. */
  rootMissing: boolean;
}

export async function planPush(
  session: Session,
  file: string,
  uriText: string,
  opts: PushOptions,
): Promise<PlannedPush> {
  const signal = opts.signal;
  const parsed = parseImageUri(uriText, 'push to globus://<endpoint>/<collection>/<name>[:<tag>]');
  const ref = parsed.ref;
  const tags = parseTags([ref.tag, ...(opts.tags ?? [])]);
  const size = await localFileSize(file);
  await checkImageFile(file, opts.anyFile === true);
  const ep = await session.endpoint(parsed.endpoint, signal);
  const backend = transportFor(session, ep, opts.transport);
  const located = await locateRoot(session, ep, true, signal, [ref.collection, ref.name]);
  const markerLayout = located.markerHidden ? undefined : await registryLayout(session, ep, located, backend, signal);
  const folder = imageFolder(located.root, ref);
  session.step(`listing ${folder}`);
  const entries = located.missing ? undefined : await listImageFolder(session, ep, folder, signal);
  // A marker this client may not read: the names already there tell the layout.
  const layout = markerLayout ?? (await layoutFromFolders(session, ep, located.root, ref, entries, signal));
  const sif = await readSif(file).catch(() => undefined);
  const signatures = await signatureFingerprints(file).catch(() => []);
  const target: PushTarget = {
    session,
    ep,
    backend,
    root: located.root,
    layout,
    ref,
    file,
    size,
    signal,
    label: `${ref.collection}/${ref.name}:${ref.tag}`,
    definition: sif?.definition,
    labels: sif?.labels,
    source: opts.source,
    signatures,
  };
  return { target, tags, folder, entries, versions: indexListing(entries ?? []), rootMissing: located.missing };
}

/** Only SIF images are pushed unless the caller says otherwise: a text file named `x.sif` is not an image. */
export async function checkImageFile(file: string, anyFile: boolean): Promise<void> {
  if (anyFile) return;
  const { sif, kind } = await sniffImageFile(file);
  if (!sif) {
    throw new SregistryError(
      'INVALID_INPUT',
      `${file} is ${kind}, not a SIF image: build one with apptainer build, or push it anyway with --any-file (the any-file option) if it is a legacy image`,
    );
  }
}

const listImageFolder = (
  session: Session,
  ep: EndpointInfo,
  folder: string,
  signal?: AbortSignal,
): Promise<ListingEntry[] | undefined> => listFolder(session, ep.id, folder, signal, () => undefined);

/**
 * The file's version when it must be known before publishing: always when the transport
 * sends the files together (the names are chosen before the task runs), else only when a
 * version of the same size is there and may be reused. Otherwise undefined: the upload
 * hashes as it goes.
 */
export async function hashFirstIfNeeded(
  target: PushTarget,
  sizesThere: readonly (number | undefined)[],
): Promise<string | undefined> {
  if (!target.backend.batches && !sizesThere.includes(target.size)) return undefined;
  target.session.step(`hashing ${humanBytes(target.size)}`);
  const { sha256, size } = await hashFile(
    target.file,
    (bytes) => target.session.progress({ phase: 'hash', image: target.label, bytes, total: target.size }),
    target.signal,
  );
  if (size !== target.size) throw changedWhileReading(target.file);
  if (target.ref.version && target.ref.version !== sha256) throw versionMismatch(target.ref, sha256);
  return sha256;
}

/** Where the image file of `version` goes: layout 2 one file per version, layout 1 one per tag. */
export const imageDestination = (target: PushTarget, tag: string, version: string): string =>
  target.layout === 2
    ? versionFilePath(target.root, target.ref, version)
    : imagePath(target.root, { ...target.ref, tag, version });

/** Where `tag`'s manifest goes; layout 2 names carry the push's time as their stamp. */
export const manifestDestination = (target: PushTarget, tag: string, version: string, created: Date): string =>
  target.layout === 2
    ? tagManifestPath(target.root, { ...target.ref, tag, version }, formatStamp(created))
    : manifestPath(target.root, { ...target.ref, tag, version });

/** Layout 1: what the listing already holds of `version`, per tag. */
export interface ExistingCopies {
  /** Tags whose image file and manifest are both there: nothing to do for them. */
  complete: Set<string>;
  /** Tags whose image file is there (of the right size) but whose manifest is not: an interrupted push. */
  imageOnly: Set<string>;
  /** One of those image files, to copy more tags from. */
  copySource: string | undefined;
}

export function existingCopies(
  target: PushTarget,
  versions: readonly ImageVersionEntry[],
  version: string,
): ExistingCopies {
  const out: ExistingCopies = { complete: new Set(), imageOnly: new Set(), copySource: undefined };
  let imageOnlySource: string | undefined;
  for (const v of versions) {
    if (v.version !== version || v.size !== target.size) continue;
    const path = imagePath(target.root, { ...target.ref, tag: v.tag, version });
    if (v.hasManifest) {
      out.complete.add(v.tag);
      out.copySource ??= path;
    } else {
      // Visible only by rename once whole, and named by its hash: as good a source, once its size is right.
      out.imageOnly.add(v.tag);
      imageOnlySource ??= path;
    }
  }
  out.copySource ??= imageOnlySource;
  return out;
}

export const changedWhileReading = (file: string): SregistryError =>
  new SregistryError('LOCAL_IO', `${file} changed while it was being pushed: push it again once it is complete`);

export const versionMismatch = (ref: ImageRef, actual: string): SregistryError =>
  new SregistryError(
    'CHECKSUM_MISMATCH',
    `The URI pins version ${ref.version} but the file's SHA-256 is ${actual}: drop the @version or push the matching file`,
  );
