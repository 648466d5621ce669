/**
 * Publishing over Transfer: one task from the local endpoint carries the image (unless a
 * copy already exists there), every manifest and, for a new registry, the marker, all to
 * hidden names; the image is renamed into place at once, the manifests last.
 */
import { imagePath, manifestPath, markerContent, markerPath } from '../layout.js';
import { manifestText, type Manifest } from '../manifest.js';
import { discardTemp } from '../storage.js';
import { tempTextFile } from './file-facts.js';
import { toEndpointPath } from './endpoint-paths.js';
import { localEndpoint } from './manifest-io.js';
import { buildManifests } from './push-manifests.js';
import type { Plan } from './push-plan.js';
import { hiddenPath, reveal } from './push-staging.js';
import { formatBytes as humanBytes } from '../bytes.js';
import { transferAndWait } from './tasks.js';

export interface TransferSent {
  taskId: string;
  manifests: Map<string, Manifest>;
  /** Each tag's manifest, still under its hidden name. */
  hiddenManifests: Map<string, string>;
  /** The image file this task published, under `tags[0]`; undefined when `copySource` was given. */
  imagePath: string | undefined;
}

/** Sends the task for `tags` (the image under the first) and publishes the image file. */
export async function sendByTransfer(
  plan: Plan,
  tags: string[],
  version: string,
  copySource: string | undefined,
  rootMissing: boolean,
  created: Date,
): Promise<TransferSent> {
  const { session, ep, ref, signal } = plan;
  const local = localEndpoint(session);
  const manifests = buildManifests(plan, tags, version, created);
  const hiddenManifests = new Map<string, string>();
  const temps: string[] = [];
  try {
    const items = [];
    const firstTag = tags[0]!;
    let imageHidden: string | undefined;
    if (!copySource) {
      imageHidden = hiddenPath(plan, firstTag);
      items.push({ source: toEndpointPath(plan.file, session.options.localPathMap), destination: imageHidden });
    }
    for (const tag of tags) {
      const temp = await tempTextFile(session.options.storage, manifestText(manifests.get(tag)!));
      temps.push(temp);
      const hidden = hiddenPath(plan, tag);
      hiddenManifests.set(tag, hidden);
      items.push({ source: toEndpointPath(temp, session.options.localPathMap), destination: hidden });
    }
    if (rootMissing) {
      const temp = await tempTextFile(session.options.storage, markerContent(session.clientId, created));
      temps.push(temp);
      items.push({ source: toEndpointPath(temp, session.options.localPathMap), destination: markerPath(plan.root) });
    }
    session.step(imageHidden ? `transferring ${humanBytes(plan.size)}` : 'transferring the manifests');
    const taskId = await transferAndWait({ session, ...(signal ? { signal } : {}), image: plan.label, total: plan.size }, local, ep.id, items, `sregistry push ${plan.label}`);
    let published: string | undefined;
    if (imageHidden) {
      published = imagePath(plan.root, { ...ref, tag: firstTag, version });
      await reveal(plan, imageHidden, published, true);
    }
    return { taskId, manifests, hiddenManifests, imagePath: published };
  } finally {
    for (const t of temps) await discardTemp(t).catch(() => undefined);
  }
}

/** Renames the manifests the task left hidden into place. */
export async function revealManifests(plan: Plan, hiddenManifests: Map<string, string>, tags: string[], version: string): Promise<void> {
  for (const tag of tags) await reveal(plan, hiddenManifests.get(tag)!, manifestPath(plan.root, { ...plan.ref, tag, version }), false);
}
