/**
 * What every remote operation reports for one image (push, pull, record, resolve), and the
 * local record a pull or record keeps of it: built in one place so the two cannot drift.
 */
import type { Manifest } from '../manifest.js';
import { formatGlobusUri, formatReference, type VersionedRef } from '../uri.js';
import { httpsTarget, type EndpointInfo } from './endpoint.js';
import type { Session } from './session.js';
import type { Resolved } from './lookup/resolve.js';
import type { ImageResult } from './types.js';

export interface ImageFacts {
  ep: EndpointInfo;
  ref: VersionedRef;
  /** The image file's endpoint path. */
  path: string;
  size: number;
  status: ImageResult['status'];
  manifest?: Manifest | undefined;
}

export function buildImageResult(session: Session, facts: ImageFacts, extra: Partial<ImageResult> = {}): ImageResult {
  const { ep, ref, path, manifest } = facts;
  const out: ImageResult = {
    uri: formatGlobusUri({ endpoint: ep.id, ref }),
    collection: ref.collection,
    name: ref.name,
    tag: ref.tag,
    version: ref.version,
    size: facts.size,
    sha256: ref.version,
    path,
    endpoint: ep.id,
    status: facts.status,
    ...extra,
  };
  if (manifest?.created) out.created = manifest.created;
  if (manifest?.labels) out.labels = manifest.labels;
  if (ep.httpsServer) out.httpsUrl = session.https.url(httpsTarget(ep), path);
  return out;
}

/** Writes (or refreshes) the sregistry-cli record of a remote version; `image` is the local file, if any. */
export function saveRemoteRecord(
  session: Session,
  ep: EndpointInfo,
  ref: VersionedRef,
  image: string | null,
  manifest: Manifest,
): void {
  session.records().upsert({
    collection: ref.collection,
    name: ref.name,
    tag: ref.tag,
    version: ref.version,
    image,
    url: formatGlobusUri({ endpoint: ep.id, ref }),
    uri: formatReference(ref),
    metrics: manifest,
  });
}

/** The result of an operation on a resolved image (pull, record, resolve). */
export function imageResult(
  session: Session,
  r: Resolved,
  manifest: Manifest | undefined,
  status: ImageResult['status'],
  extra: Partial<ImageResult> = {},
): ImageResult {
  return buildImageResult(
    session,
    { ep: r.ep, ref: r.vref, path: r.imagePath, size: manifest?.size ?? r.chosen.size ?? 0, status, manifest },
    extra,
  );
}
