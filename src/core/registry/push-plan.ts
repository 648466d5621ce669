/**
 * Planning a push: parse the URI and tags, find the endpoint, transport and registry root,
 * list the image folder, and hash the file first only when that listing could hold it.
 */
import { SregistryError } from '../errors.js';
import { imageFolder, imagePath } from '../layout.js';
import { readSif } from '../sif.js';
import { parseImageUri, parseTags, type ImageRef } from '../uri.js';
import { indexListing, type ImageVersionEntry, type ListingEntry } from '../versions.js';
import { hashFile, localFileSize } from './file-facts.js';
import { formatBytes as humanBytes } from '../bytes.js';
import { listFolder } from './listing.js';
import { locateRoot } from './root.js';
import type { EndpointInfo, Session } from './session.js';
import { chooseTransport } from './transport.js';
import type { PushOptions, Transport } from './types.js';

export interface Plan {
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
  /** The SIF's labels, for the manifest. */
  labels: Record<string, string> | undefined;
  /** Where the image came from, for the manifest. */
  source: Record<string, string> | undefined;
  /** Hidden remote paths this push created (removed on failure). */
  hidden: string[];
  /** Image files this push made visible (removed on failure, before their manifests exist). */
  published: string[];
}

/** A plan and what the image folder's listing showed. */
export interface PlannedPush {
  plan: Plan;
  tags: string[];
  folder: string;
  /** The image folder's listing; undefined when the folder (or the whole registry) is missing. */
  entries: ListingEntry[] | undefined;
  versions: ImageVersionEntry[];
  /** No registry marker was found: this push creates the registry. */
  rootMissing: boolean;
}


export async function planPush(session: Session, file: string, uriText: string, opts: PushOptions): Promise<PlannedPush> {
  const signal = opts.signal;
  const parsed = parseImageUri(uriText, 'push to globus://<endpoint>/<collection>/<name>[:<tag>]');
  const ref = parsed.ref;
  const tags = parseTags([ref.tag, ...(opts.tags ?? [])]);
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
    labels: undefined,
    source: opts.source,
    hidden: [],
    published: [],
  };
  const folder = imageFolder(plan.root, ref);
  session.step(`listing ${folder}`);
  const entries = located.missing ? undefined : await listImageFolder(session, ep, folder, signal);
  const versions = indexListing(entries ?? []);

  const sif = await readSif(file).catch(() => undefined);
  plan.labels = sif?.labels;
  plan.definition = sif?.definition;
  return { plan, tags, folder, entries, versions, rootMissing: located.missing };
}

const listImageFolder = (session: Session, ep: EndpointInfo, folder: string, signal?: AbortSignal): Promise<ListingEntry[] | undefined> =>
  listFolder(session, ep.id, folder, signal, () => undefined);

/**
 * The file's version when it must be known before publishing: always over Transfer (the
 * names are chosen before the task runs), over HTTPS only when a version of the same size
 * is there and may be reused. Otherwise undefined: the HTTPS upload hashes as it goes.
 */
export async function hashFirstIfNeeded(plan: Plan, versions: readonly ImageVersionEntry[]): Promise<string | undefined> {
  if (plan.transport !== 'transfer' && !versions.some((v) => v.size === plan.size)) return undefined;
  const version = await hashLocal(plan);
  if (plan.ref.version && plan.ref.version !== version) throw versionMismatch(plan.ref, version);
  return version;
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

/** The tags that already hold `version` complete, and one of their image files to copy from. */
export function completeCopies(plan: Plan, versions: readonly ImageVersionEntry[], version: string): { tags: Set<string>; copySource: string | undefined } {
  const tags = new Set<string>();
  let copySource: string | undefined;
  for (const v of versions) {
    if (v.version === version && v.hasManifest && v.size === plan.size) {
      tags.add(v.tag);
      copySource ??= imagePath(plan.root, { ...plan.ref, tag: v.tag, version });
    }
  }
  return { tags, copySource };
}

export const changedWhileReading = (file: string): SregistryError =>
  new SregistryError('LOCAL_IO', `${file} changed while it was being pushed: push it again once it is complete`);

export const versionMismatch = (ref: ImageRef, actual: string): SregistryError =>
  new SregistryError(
    'CHECKSUM_MISMATCH',
    `The URI pins version ${ref.version} but the file's SHA-256 is ${actual}: drop the @version or push the matching file`,
  );
