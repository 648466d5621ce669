/**
 * Publishing file by file, for a transport that sends each file on its own (HTTPS):
 * folders made top-down, the image up under a hidden name (the transport hashes what it
 * sends, so the file is read once), and each manifest put hidden and renamed into place.
 */
import { isSregistryError } from '../../errors.js';
import { collectionFolder, imageFolder, markerContent, markerPath } from '../../layout.js';
import { manifestText, type Manifest } from '../../manifest.js';
import { formatBytes as humanBytes } from '../../bytes.js';
import { unansweredBytes, type TransportRun } from '../transports/backend.js';
import {
  changedWhileReading,
  imageDestination,
  manifestDestination,
  versionMismatch,
  type PushTarget,
} from './plan.js';
import type { Staging } from './staging.js';
import { mkdir, stat } from '../../transfer/index.js';

/**
 * Creates the image folder. The usual case (its collection folder exists) costs one
 * mkdir. Any failure of that one is answered by making the folders one level at a time
 * from the registry root down (the root itself only for a new registry), an existing
 * level being fine: how the service answers a mkdir whose parent is missing is
 * unverified, so nothing depends on its code.
 */
export async function createImageFolder(target: PushTarget, rootMissing: boolean): Promise<void> {
  const { session, ep, root, ref, signal } = target;
  const opts = signal ? { signal } : {};
  const folder = imageFolder(root, ref);
  session.step(`creating ${folder}`);
  try {
    await mkdir(session.transfer, ep.id, folder, opts);
    return;
  } catch (err) {
    if (!isSregistryError(err) || err.code === 'ABORTED') throw err;
  }
  for (const level of [...(rootMissing ? [root] : []), collectionFolder(root, ref.collection), folder]) {
    try {
      await mkdir(session.transfer, ep.id, level, opts);
    } catch (err) {
      // A level made by someone else meanwhile may not answer Exists: look before failing.
      if (!isSregistryError(err) || err.code === 'ABORTED') throw err;
      const there = await stat(session.transfer, ep.id, level, opts).catch(() => undefined);
      if (there?.type !== 'dir') throw err;
    }
  }
}

/**
 * Uploads the file and reveals it as `tag`. `knownVersion`, when the file was hashed
 * first, must match what the server received.
 */
export async function uploadImage(
  target: PushTarget,
  staging: Staging,
  tag: string,
  knownVersion: string | undefined,
): Promise<{ version: string; path: string }> {
  const { session, ref } = target;
  const hidden = staging.hide(tag);
  session.step(`uploading ${humanBytes(target.size)}`);
  const put = await target.backend.put({ ...runOf(target), progress: true }, [{ to: hidden, file: target.file }]);
  const up = put.files[0]!;
  if (up.attempts > 1) staging.cutUpload(hidden);
  // A transport that sends file by file answers what it read and sent (transports/backend.ts).
  if (up.size === undefined || up.sha256 === undefined)
    throw unansweredBytes(target.backend, 'put', `${ref.collection}/${ref.name}:${tag}`);
  if (up.size !== target.size) throw changedWhileReading(target.file);
  if (knownVersion !== undefined && up.sha256 !== knownVersion) throw changedWhileReading(target.file);
  const version = up.sha256;
  if (ref.version && ref.version !== version) throw versionMismatch(ref, version);
  const path = imageDestination(target, tag, version);
  await staging.revealImage(hidden, path);
  return { version, path };
}

/**
 * Writes the marker of a registry this push creates, then each tag's manifest: a marker
 * that cannot be written fails the push before anything is published (an image file no
 * manifest names is an interrupted push, which prune collects).
 */
export async function writeManifests(
  target: PushTarget,
  staging: Staging,
  manifests: Map<string, Manifest>,
  version: string,
  rootMissing: boolean,
  created: Date,
): Promise<void> {
  const { session, ref } = target;
  const putText = async (to: string, text: string): Promise<number> =>
    (await target.backend.put(runOf(target), [{ to, text }])).files[0]!.attempts;
  if (rootMissing) {
    session.step(`writing the registry marker at ${target.root}`);
    await putText(markerPath(target.root), markerContent(session.clientId, created));
  }
  for (const [tag, manifest] of manifests) {
    const hidden = staging.hide(tag);
    session.step(`writing the manifest of ${ref.collection}/${ref.name}:${tag}`);
    if ((await putText(hidden, manifestText(manifest))) > 1) staging.cutUpload(hidden);
    await staging.revealManifest(hidden, manifestDestination(target, tag, version, created));
  }
}

const runOf = (target: PushTarget): TransportRun => ({
  session: target.session,
  ep: target.ep,
  signal: target.signal,
  image: target.label,
  label: `sregistry push ${target.label}`,
});
