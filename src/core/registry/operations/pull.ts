/**
 * pull: resolve the tag, read and check the manifest, download into a temp file in the
 * storage folder, verify the SHA-256 and the SIF signatures (under the `verify` policy: in
 * the same pass as the bytes arrive when the transport reads them, as HTTPS does, else by
 * reading the file it brought, as after a Transfer task), publish by rename, then write the
 * record. A version already in storage with its record and size is not downloaded again
 * (its signatures are checked again).
 */
import { stat } from 'node:fs/promises';
import { SregistryError } from '../../errors.js';
import type { Manifest } from '../../manifest.js';
import { createTempFile, discardTemp, publishTemp, storageFolder, storagePath } from '../../storage.js';
import { hashFile } from '../local/file-facts.js';
import { checkManifestListedSize, readLocalManifest, readManifest } from '../transports/manifest-io.js';
import { formatBytes as humanBytes } from '../../bytes.js';
import { resolveImage, type Resolved } from '../lookup/resolve.js';
import type { Session } from '../session.js';
import { imageResult, saveRemoteRecord } from '../image-result.js';
import { sweepLocalStorage } from '../local/storage-sweep.js';
import { unansweredBytes } from '../transports/backend.js';
import { transportFor } from '../transports/transport.js';
import { checkFile, enforceGate, signatureGate, signaturesOf, streamingVerifier } from '../signatures.js';
import { fileRanges, type SifVerifier } from '../../signing/verify.js';
import type { ChunkObserver, ImageResult, ImageSignatures, PullOptions } from '../types.js';

async function cachedCopy(
  session: Session,
  r: Resolved,
): Promise<{ image: string; manifest: Manifest | undefined } | undefined> {
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
  const backend = transportFor(session, r.ep, opts.transport);
  const transport = backend.name;
  const shown = `${r.vref.collection}/${r.vref.name}:${r.vref.tag}`;

  const cached = await cachedCopy(session, r);
  if (cached) {
    session.notice(`${shown}@${r.vref.version} is already in ${cached.image}: not downloaded again`);
    const signatures = await checkFile(
      gate,
      cached.image,
      `The stored copy of ${shown}`,
      `${cached.image} was left as it is`,
      signal,
    );
    return imageResult(session, r, cached.manifest, 'cached', {
      image: cached.image,
      transport,
      ...(signatures ? { signatures } : {}),
    });
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
    if (!backend.batches) {
      session.step(`reading the manifest of ${shown}`);
      ({ manifest } = await readManifest(session, backend, r.ep, remoteManifest, r.vref, r.manifestSize, signal));
      checkManifestSize(manifest, r);
      session.step(`downloading ${humanBytes(manifest.size)}`);
      // The signatures are checked as the bytes go by: the header and descriptors come first.
      const sif = (verifier = streamingVerifier(gate, manifest.size));
      const got = await backend.get(
        { session, ep: r.ep, signal, image: shown, label: `sregistry pull ${shown}`, progress: true },
        [
          {
            from: remoteImage,
            to: temp,
            expectedSize: manifest.size,
            ...(opts.onChunk ? { onChunk: opts.onChunk } : {}),
            // The signed objects are hashed from the buffers the file's hash reads: no copy, and beside it.
            ...(sif ? { onStage: (view: Uint8Array, offset: number) => sif.onShared(view, offset) } : {}),
          },
        ],
      );
      const brought = got.files[0]?.sha256;
      if (brought === undefined) throw unansweredBytes(backend, 'get', shown);
      sha256 = brought;
      if (sif && sha256 === r.vref.version) {
        const report = await sif.finish(fileRanges(temp));
        enforceGate(report, gate.policy, what, after, true);
        signatures = signaturesOf(report);
      }
    } else {
      // One unit of work brings image and manifest; the image is hashed locally afterwards.
      checkManifestListedSize(r.manifestSize, r.vref);
      const manifestTemp = await createTempFile(folder);
      try {
        session.step(`transferring ${r.chosen.size !== undefined ? humanBytes(r.chosen.size) : shown}`);
        const got = await backend.get(
          { session, ep: r.ep, signal, image: shown, label: `sregistry pull ${shown}`, total: r.chosen.size },
          [
            { from: remoteImage, to: temp, sha256: r.vref.version },
            { from: remoteManifest, to: manifestTemp },
          ],
        );
        taskId = got.taskId;
        manifest = await readLocalManifest(manifestTemp, r.vref);
      } finally {
        await discardTemp(manifestTemp).catch(() => undefined);
      }
      checkManifestSize(manifest, r);
      session.step(`verifying ${humanBytes(manifest.size)}`);
      sha256 = await hashBrought(session, temp, shown, manifest.size, signal, opts.onChunk);
      if (sha256 === r.vref.version) signatures = await checkFile(gate, temp, what, after, signal, true);
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
    return imageResult(session, r, manifest, 'pulled', {
      image: final,
      transport,
      ...(taskId ? { taskId } : {}),
      ...(signatures ? { signatures } : {}),
    });
  } finally {
    await verifier?.close();
    await discardTemp(temp).catch(() => undefined);
  }
}

/** The SHA-256 of a file a transport brought without reading it, the caller's observer seeing each piece. */
async function hashBrought(
  session: Session,
  file: string,
  shown: string,
  size: number,
  signal: AbortSignal | undefined,
  onChunk: ChunkObserver | undefined,
): Promise<string> {
  return (
    await hashFile(
      file,
      (bytes) => session.progress({ phase: 'hash', image: shown, bytes, total: size }),
      signal,
      onChunk,
    )
  ).sha256;
}

function checkManifestSize(manifest: Manifest, r: Resolved): void {
  if (r.chosen.size !== undefined && manifest.size !== r.chosen.size) {
    throw new SregistryError(
      'INVALID_RESPONSE',
      `The manifest of ${r.vref.collection}/${r.vref.name}:${r.vref.tag}@${r.vref.version} says ${manifest.size} bytes but the image file has ${r.chosen.size}: re-push the image`,
    );
  }
}
