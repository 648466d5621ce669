/**
 * Publishing over Transfer: one task from the local endpoint carries the image (unless a
 * copy already exists there), every manifest and, for a new registry, the marker, all to
 * hidden names (the task makes the folders); the image is revealed at once, the
 * manifests last.
 */
import { markerContent, markerPath } from '../../layout.js';
import { manifestText, type Manifest } from '../../manifest.js';
import { discardTemp } from '../../storage.js';
import { tempTextFile } from '../local/file-facts.js';
import { toEndpointPath } from '../transports/endpoint-paths.js';
import { localEndpoint } from '../transports/manifest-io.js';
import { formatBytes as humanBytes } from '../../bytes.js';
import { transferAndWait } from '../transports/tasks.js';
import { imageDestination, manifestDestination, type PushTarget } from './plan.js';
import type { Staging } from './staging.js';

export interface TransferSent {
  taskId: string;
  /** Each tag's manifest, still under its hidden name. */
  hiddenManifests: Map<string, string>;
  /** The image file this task published under `imageTag`; undefined when it carried no image. */
  imagePath: string | undefined;
}

/**
 * Sends one task with the image (to `imageTag`, when given) and the `manifests`, and
 * reveals the image file.
 */
export async function sendByTransfer(
  target: PushTarget,
  staging: Staging,
  manifests: Map<string, Manifest>,
  imageTag: string | undefined,
  version: string,
  rootMissing: boolean,
  created: Date,
): Promise<TransferSent> {
  const { session, ep, signal } = target;
  const local = localEndpoint(session);
  const hiddenManifests = new Map<string, string>();
  const temps: string[] = [];
  const endpointPath = (file: string) => toEndpointPath(file, session.options.localPathMap);
  try {
    const items = [];
    const imageHidden = imageTag !== undefined ? staging.hide(imageTag) : undefined;
    if (imageHidden) items.push({ source: endpointPath(target.file), destination: imageHidden, sha256: version });
    for (const [tag, manifest] of manifests) {
      const temp = await tempTextFile(session.options.storage, manifestText(manifest));
      temps.push(temp);
      const hidden = staging.hide(tag);
      hiddenManifests.set(tag, hidden);
      items.push({ source: endpointPath(temp), destination: hidden });
    }
    if (rootMissing) {
      const temp = await tempTextFile(session.options.storage, markerContent(session.clientId, created));
      temps.push(temp);
      items.push({ source: endpointPath(temp), destination: markerPath(target.root) });
    }
    session.step(imageHidden ? `transferring ${humanBytes(target.size)}` : 'transferring the manifests');
    const taskId = await transferAndWait({ session, ...(signal ? { signal } : {}), image: target.label, total: target.size }, local, ep.id, items, `sregistry push ${target.label}`);
    let published: string | undefined;
    if (imageHidden) {
      published = imageDestination(target, imageTag!, version);
      await staging.revealImage(imageHidden, published);
    }
    return { taskId, hiddenManifests, imagePath: published };
  } finally {
    for (const t of temps) await discardTemp(t).catch(() => undefined);
  }
}

/** Reveals the manifests the task left hidden. */
export async function revealManifests(target: PushTarget, staging: Staging, hiddenManifests: Map<string, string>, version: string, created: Date): Promise<void> {
  for (const [tag, hidden] of hiddenManifests) await staging.revealManifest(hidden, manifestDestination(target, tag, version, created));
}
