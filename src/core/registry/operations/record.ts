/**
 * record: resolve and read the manifest, then write a record with the URL (and no image,
 * unless that version was pulled already); no image bytes move. resolve: the same read,
 * nothing written.
 */
import { stat } from 'node:fs/promises';
import { readManifestHttps, readManifestTransfer } from '../transports/manifest-io.js';
import { imageResult, saveRemoteRecord } from '../image-result.js';
import { listedSignatures } from '../signatures.js';
import { transportFor } from '../transports/transport.js';
import { resolveImage, type Resolved } from '../lookup/resolve.js';
import type { Manifest } from '../../manifest.js';
import type { Session } from '../session.js';
import type { CallOptions, ImageResult } from '../types.js';

interface Read {
  r: Resolved;
  manifest: Manifest;
  result: ImageResult;
}

async function readImage(session: Session, uriText: string, status: ImageResult['status'], signal: AbortSignal | undefined): Promise<Read> {
  const r = await resolveImage(session, uriText, signal);
  const transport = transportFor(session, r);
  const path = r.manifestPath;
  session.step(`reading the manifest of ${r.vref.collection}/${r.vref.name}:${r.vref.tag}`);
  let taskId: string | undefined;
  let manifest;
  if (transport === 'https') manifest = await readManifestHttps(session, r.ep, path, r.vref, r.manifestSize, signal);
  else ({ manifest, taskId } = await readManifestTransfer(session, r.ep, path, r.vref, r.manifestSize, signal));
  const signatures = listedSignatures(manifest);
  return { r, manifest, result: imageResult(session, r, manifest, status, { transport, ...(taskId ? { taskId } : {}), ...(signatures ? { signatures } : {}) }) };
}

/** The image a URI names now (its newest complete version unless pinned) and its manifest's facts; writes nothing. */
export async function resolve(session: Session, uriText: string, opts: CallOptions = {}): Promise<ImageResult> {
  return (await readImage(session, uriText, 'resolved', opts.signal)).result;
}

export async function record(session: Session, uriText: string, opts: CallOptions = {}): Promise<ImageResult> {
  const { r, manifest, result } = await readImage(session, uriText, 'recorded', opts.signal);
  // The same version pulled before keeps its local file in the record.
  const earlier = session.records().get(r.vref, { client: 'globus' })?.image;
  const image = earlier && (await stat(earlier).catch(() => undefined))?.isFile() ? earlier : null;
  saveRemoteRecord(session, r.ep, r.vref, image, manifest);
  return result;
}
