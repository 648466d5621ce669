/**
 * record: resolve and read the manifest, then write a record with the URL (and no image,
 * unless that version was pulled already); no image bytes move. resolve: the same read,
 * nothing written.
 */
import { stat } from 'node:fs/promises';
import { readManifest } from '../transports/manifest-io.js';
import { imageResult, saveRemoteRecord } from '../image-result.js';
import { listedSignatures } from '../signatures.js';
import { transportFor } from '../transports/transport.js';
import { resolveImage, type Resolved } from '../lookup/resolve.js';
import type { Manifest } from '../../manifest.js';
import type { Session } from '../session.js';
import type { TransportOptions, ImageResult } from '../types.js';

interface Read {
  r: Resolved;
  manifest: Manifest;
  result: ImageResult;
}

async function readImage(
  session: Session,
  uriText: string,
  status: ImageResult['status'],
  opts: TransportOptions,
): Promise<Read> {
  const signal = opts.signal;
  const r = await resolveImage(session, uriText, signal);
  const backend = transportFor(session, r.ep, opts.transport);
  session.step(`reading the manifest of ${r.vref.collection}/${r.vref.name}:${r.vref.tag}`);
  const { manifest, taskId } = await readManifest(
    session,
    backend,
    r.ep,
    r.manifestPath,
    r.vref,
    r.manifestSize,
    signal,
  );
  const signatures = listedSignatures(manifest);
  return {
    r,
    manifest,
    result: imageResult(session, r, manifest, status, {
      transport: backend.name,
      ...(taskId ? { taskId } : {}),
      ...(signatures ? { signatures } : {}),
    }),
  };
}

/** The image a URI names now (its newest complete version unless pinned) and its manifest's facts; writes nothing. */
export async function resolve(session: Session, uriText: string, opts: TransportOptions = {}): Promise<ImageResult> {
  return (await readImage(session, uriText, 'resolved', opts)).result;
}

export async function record(session: Session, uriText: string, opts: TransportOptions = {}): Promise<ImageResult> {
  const { r, manifest, result } = await readImage(session, uriText, 'recorded', opts);
  // The same version pulled before keeps its local file in the record.
  const earlier = session.records().get(r.vref, { client: 'globus' })?.image;
  const image = earlier && (await stat(earlier).catch(() => undefined))?.isFile() ? earlier : null;
  saveRemoteRecord(session, r.ep, r.vref, image, manifest);
  return result;
}
