/**
 * Publishing over the collection's HTTPS server: the image goes up under a hidden name
 * (the server's answer carries the SHA-256 of what it received, so the file is read once)
 * and each manifest is PUT hidden and renamed into place.
 */
import { imageFolder, imagePath, manifestPath, markerContent, markerPath } from '../layout.js';
import { manifestText, type Manifest } from '../manifest.js';
import { putText } from './manifest-io.js';
import { changedWhileReading, versionMismatch, type Plan } from './push-plan.js';
import { hiddenPath, reveal } from './push-staging.js';
import { formatBytes as humanBytes } from '../bytes.js';
import { httpsTarget } from './session.js';

export async function createImageFolder(plan: Plan): Promise<void> {
  const { session, ep, signal } = plan;
  session.step(`creating ${imageFolder(plan.root, plan.ref)}`);
  await session.transfer.mkdirs(ep.id, imageFolder(plan.root, plan.ref), signal ? { signal } : {});
}

/**
 * Uploads the file and renames it into place as `tag`. `knownVersion`, when the file was
 * hashed first, must match what the server received.
 */
export async function uploadImage(plan: Plan, tag: string, knownVersion: string | undefined): Promise<{ version: string; path: string }> {
  const { session, ep, ref, signal } = plan;
  const hidden = hiddenPath(plan, tag);
  session.step(`uploading ${humanBytes(plan.size)}`);
  const up = await session.https.upload(httpsTarget(ep), hidden, { file: plan.file }, {
    ...(signal ? { signal } : {}),
    onProgress: (bytes, total) => session.progress({ phase: 'upload', image: plan.label, bytes, ...(total !== undefined ? { total } : {}) }),
  });
  if (up.size !== plan.size) throw changedWhileReading(plan.file);
  if (knownVersion !== undefined && up.sha256 !== knownVersion) throw changedWhileReading(plan.file);
  const version = up.sha256;
  if (ref.version && ref.version !== version) throw versionMismatch(ref, version);
  const path = imagePath(plan.root, { ...ref, tag, version });
  await reveal(plan, hidden, path, true);
  return { version, path };
}

/** Writes each tag's manifest, then the marker of a registry this push creates. */
export async function writeManifests(
  plan: Plan,
  manifests: Map<string, Manifest>,
  tags: string[],
  version: string,
  rootMissing: boolean,
  created: Date,
): Promise<void> {
  const { session, ep, ref, signal } = plan;
  for (const tag of tags) {
    const hidden = hiddenPath(plan, tag);
    session.step(`writing the manifest of ${ref.collection}/${ref.name}:${tag}`);
    await putText(session, ep, hidden, manifestText(manifests.get(tag)!), signal);
    await reveal(plan, hidden, manifestPath(plan.root, { ...ref, tag, version }), false);
  }
  if (rootMissing) {
    session.step(`writing the registry marker at ${plan.root}`);
    await putText(session, ep, markerPath(plan.root), markerContent(session.clientId, created), signal);
  }
}
