/**
 * Publishing in one unit, for a transport that sends files together (a Transfer task from
 * the local endpoint): it carries the image (unless a copy already exists there), every
 * manifest and, for a new registry, the marker, all to hidden names (the unit makes the
 * folders); the image is revealed at once, the manifests last.
 */
import { markerContent, markerPath } from '../../layout.js';
import { manifestText, type Manifest } from '../../manifest.js';
import { formatBytes as humanBytes } from '../../bytes.js';
import type { PutItem } from '../transports/backend.js';
import { imageDestination, manifestDestination, type PushTarget } from './plan.js';
import type { Staging } from './staging.js';

export interface BatchSent {
  /** The unit of work (Transfer task) that carried them, when it has an id. */
  taskId: string | undefined;
  /** Each tag's manifest, still under its hidden name. */
  hiddenManifests: Map<string, string>;
  /** The image file this task published under `imageTag`; undefined when it carried no image. */
  imagePath: string | undefined;
}

/**
 * Sends one task with the image (to `imageTag`, when given) and the `manifests`, and
 * reveals the image file.
 */
export async function sendBatch(
  target: PushTarget,
  staging: Staging,
  manifests: Map<string, Manifest>,
  imageTag: string | undefined,
  version: string,
  rootMissing: boolean,
  created: Date,
): Promise<BatchSent> {
  const { session, ep, signal } = target;
  const hiddenManifests = new Map<string, string>();
  const items: PutItem[] = [];
  const imageHidden = imageTag !== undefined ? staging.hide(imageTag) : undefined;
  if (imageHidden) items.push({ to: imageHidden, file: target.file, sha256: version });
  for (const [tag, manifest] of manifests) {
    const hidden = staging.hide(tag);
    hiddenManifests.set(tag, hidden);
    items.push({ to: hidden, text: manifestText(manifest) });
  }
  if (rootMissing) items.push({ to: markerPath(target.root), text: markerContent(session.clientId, created) });
  session.step(imageHidden ? `transferring ${humanBytes(target.size)}` : 'transferring the manifests');
  const { taskId } = await target.backend.put(
    { session, ep, signal, image: target.label, total: target.size, label: `sregistry push ${target.label}` },
    items,
  );
  let published: string | undefined;
  if (imageHidden) {
    published = imageDestination(target, imageTag!, version);
    await staging.revealImage(imageHidden, published);
  }
  return { taskId, hiddenManifests, imagePath: published };
}

/** Reveals the manifests the task left hidden. */
export async function revealManifests(
  target: PushTarget,
  staging: Staging,
  hiddenManifests: Map<string, string>,
  version: string,
  created: Date,
): Promise<void> {
  for (const [tag, hidden] of hiddenManifests)
    await staging.revealManifest(hidden, manifestDestination(target, tag, version, created));
}
