/**
 * pull: resolve the tag, read and check the manifest, download into a temp file in the
 * storage folder, verify the SHA-256 and the SIF signatures (under the `verify` policy:
 * over HTTPS in the same pass as the bytes arrive, over Transfer by reading the file the
 * task wrote), publish by rename, then write the record. A version already in storage
 * with its record and size is not downloaded again (its signatures are checked again).
 */
import { stat } from 'node:fs/promises';
import { SregistryError } from '../errors.js';
import type { Manifest } from '../manifest.js';
import { createTempFile, discardTemp, publishTemp, storageFolder, storagePath } from '../storage.js';
import { hashFile } from './file-facts.js';
import { toEndpointPath } from './endpoint-paths.js';
import { checkManifestListedSize, localEndpoint, readLocalManifest, readManifestHttps } from './manifest-io.js';
import { formatBytes as humanBytes } from '../bytes.js';
import { transferAndWait } from './tasks.js';
import { resolveImage, type Resolved } from './resolve.js';
import { httpsTarget, type Session } from './session.js';
import { buildImageResult, saveRemoteRecord } from './image-result.js';
import { sweepLocalStorage } from './storage-sweep.js';
import { chooseTransport } from './transport.js';
import { checkFile, signatureGate, signaturesOf, streamingVerifier } from './signatures.js';
import { enforceVerifyPolicy } from '../signing/policy.js';
import { fileRanges, type SifVerifier } from '../signing/verify.js';
import type { ImageResult, ImageSignatures, PullOptions, Transport } from './types.js';

export function imageResult(session: Session, r: Resolved, manifest: Manifest | undefined, status: ImageResult['status'], extra: Partial<ImageResult> = {}): ImageResult {
  return buildImageResult(session, { ep: r.ep, ref: r.vref, path: r.imagePath, size: manifest?.size ?? r.chosen.size ?? 0, status, manifest }, extra);
}

export function transportFor(session: Session, r: Pick<Resolved, 'ep'>): Transport {
  return chooseTransport({
    choice: session.options.transport,
    httpsServer: r.ep.httpsServer,
    endpointId: r.ep.id,
    endpointName: r.ep.displayName,
    ...(session.options.localEndpoint ? { localEndpoint: session.options.localEndpoint } : {}),
  });
}

async function cachedCopy(session: Session, r: Resolved): Promise<{ image: string; manifest: Manifest | undefined } | undefined> {
  const record = session.records().get(r.vref, { client: 'globus' });
  const final = storagePath(session.options.storage, r.vref);
  if (!record || record.image !== final) return undefined;
  const info = await stat(final).catch(() => undefined);
  if (!info?.isFile() || (r.chosen.size !== undefined && info.size !== r.chosen.size)) return undefined;
  const m = record.metrics as Manifest | undefined;
  return { image: final, manifest: m && typeof m === 'object' && m.version === r.vref.version ? m : undefined };
}

export async function pull(session: Session, uriText: string, opts: PullOptions = {}): Promise<ImageResult> {
  const signal = opts.signal;
  const gate = await signatureGate(session.options, opts.verify);
  const r = await resolveImage(session, uriText, signal);
  await sweepLocalStorage(session);
  const transport = transportFor(session, r);
  const shown = `${r.vref.collection}/${r.vref.name}:${r.vref.tag}`;

  const cached = await cachedCopy(session, r);
  if (cached) {
    session.notice(`${shown}@${r.vref.version} is already in ${cached.image}: not downloaded again`);
    const signatures = await checkFile(gate, cached.image, `The stored copy of ${shown}`, `${cached.image} was left as it is`, signal);
    return imageResult(session, r, cached.manifest, 'cached', { image: cached.image, transport, ...(signatures ? { signatures } : {}) });
  }

  const folder = storageFolder(session.options.storage, r.vref);
  const remoteImage = r.imagePath;
  const remoteManifest = r.manifestPath;
  const temp = await createTempFile(folder);
  let manifest: Manifest;
  let taskId: string | undefined;
  let sha256: string;
  let signatures: ImageSignatures | undefined;
  const what = `${shown}@${r.vref.version.slice(0, 12)}`;
  const after = 'nothing was stored';
  let verifier: SifVerifier | undefined;
  try {
    if (transport === 'https') {
      session.step(`reading the manifest of ${shown}`);
      manifest = await readManifestHttps(session, r.ep, remoteManifest, r.vref, r.manifestSize, signal);
      checkManifestSize(manifest, r);
      session.step(`downloading ${humanBytes(manifest.size)}`);
      // The signatures are checked as the bytes go by: the header and descriptors come first.
      const sif = (verifier = streamingVerifier(gate, manifest.size));
      const got = await session.https.download(httpsTarget(r.ep), remoteImage, temp, {
        expectedSize: manifest.size,
        ...(signal ? { signal } : {}),
        onProgress: (bytes, total) => session.progress({ phase: 'download', image: shown, bytes, ...(total !== undefined ? { total } : {}) }),
        ...(opts.onChunk ? { onChunk: opts.onChunk } : {}),
        // The signed objects are hashed from the buffers the file's hash reads: no copy, and beside it.
        ...(sif ? { onStage: (view: Uint8Array, offset: number) => sif.onShared(view, offset) } : {}),
      });
      sha256 = got.sha256;
      if (sif && sha256 === r.vref.version) {
        const report = await sif.finish(fileRanges(temp));
        enforceVerifyPolicy(report, gate.policy, what, after);
        signatures = signaturesOf(report);
      }
    } else {
      // One task brings image and manifest; the image is hashed locally afterwards.
      const local = localEndpoint(session);
      checkManifestListedSize(r.manifestSize, r.vref);
      const manifestTemp = await createTempFile(folder);
      try {
        session.step(`transferring ${r.chosen.size !== undefined ? humanBytes(r.chosen.size) : shown}`);
        const map = session.options.localPathMap;
        taskId = await transferAndWait(
          { session, ...(signal ? { signal } : {}), image: shown, ...(r.chosen.size !== undefined ? { total: r.chosen.size } : {}) },
          r.ep.id,
          local,
          [
            { source: remoteImage, destination: toEndpointPath(temp, map), sha256: r.vref.version },
            { source: remoteManifest, destination: toEndpointPath(manifestTemp, map) },
          ],
          `sregistry pull ${shown}`,
        );
        manifest = await readLocalManifest(manifestTemp, r.vref);
      } finally {
        await discardTemp(manifestTemp).catch(() => undefined);
      }
      checkManifestSize(manifest, r);
      session.step(`verifying ${humanBytes(manifest.size)}`);
      sha256 = (await hashFile(temp, (bytes) => session.progress({ phase: 'hash', image: shown, bytes, total: manifest.size }), signal, opts.onChunk)).sha256;
      if (sha256 === r.vref.version) signatures = await checkFile(gate, temp, what, after, signal);
    }
    if (sha256 !== r.vref.version) {
      throw new SregistryError(
        'CHECKSUM_MISMATCH',
        `The downloaded ${shown} has SHA-256 ${sha256}, not its version ${r.vref.version}: nothing was stored; pull again, and if it repeats the remote copy is damaged (re-push it)`,
      );
    }
    const final = storagePath(session.options.storage, r.vref);
    await publishTemp(temp, final);
    saveRemoteRecord(session, r.ep, r.vref, final, manifest);
    return imageResult(session, r, manifest, 'pulled', { image: final, transport, ...(taskId ? { taskId } : {}), ...(signatures ? { signatures } : {}) });
  } finally {
    await verifier?.close();
    await discardTemp(temp).catch(() => undefined);
  }
}

function checkManifestSize(manifest: Manifest, r: Resolved): void {
  if (r.chosen.size !== undefined && manifest.size !== r.chosen.size) {
    throw new SregistryError(
      'INVALID_RESPONSE',
      `The manifest of ${r.vref.collection}/${r.vref.name}:${r.vref.tag}@${r.vref.version} says ${manifest.size} bytes but the image file has ${r.chosen.size}: re-push the image`,
    );
  }
}
