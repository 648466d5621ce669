/**
 * Publishing into a layout-1 registry (layout.ts): a full image file per tag, the first
 * uploaded, more tags made by one server-side copy task, each tag's manifest last.
 */
import type { Manifest } from '../../manifest.js';
import type { ImageResult } from '../types.js';
import { createImageFolder, uploadImage, writeManifests } from './send-each.js';
import { buildManifests } from './manifests.js';
import { existingCopies, type ExistingCopies, type PlannedPush, type PushTarget } from './plan.js';
import { pushResult } from './results.js';
import type { Staging } from './staging.js';
import { copyToTags } from './tags.js';
import { revealManifests, sendBatch } from './send-batch.js';

const NOTHING_THERE: ExistingCopies = { complete: new Set(), imageOnly: new Set(), copySource: undefined };

export async function publishLayout1(
  target: PushTarget,
  staging: Staging,
  planned: PlannedPush,
  knownVersion: string | undefined,
): Promise<ImageResult[]> {
  const { session } = target;
  const { tags, versions, entries, rootMissing } = planned;
  const there = knownVersion !== undefined ? existingCopies(target, versions, knownVersion) : NOTHING_THERE;
  if (knownVersion !== undefined && tags.every((t) => there.complete.has(t))) {
    session.notice(`${target.label}@${knownVersion} is already there: nothing uploaded`);
    return tags.map((tag) => pushResult(target, tag, knownVersion, 'exists', undefined, undefined));
  }
  const missing = tags.filter((t) => !there.complete.has(t));
  const needImage = missing.filter((t) => !there.imageOnly.has(t));
  const created = new Date();
  let version = knownVersion;
  let copySource = there.copySource;
  let imageTaskId: string | undefined;
  let manifests: Map<string, Manifest> | undefined;
  let hiddenManifests: Map<string, string> | undefined;
  const made = new Set<string>();

  // The image file, once, unless a copy of this version is already there.
  if (!target.backend.batches) {
    if (entries === undefined) await createImageFolder(target, rootMissing);
    if (!copySource) {
      ({ version, path: copySource } = await uploadImage(target, staging, needImage[0]!, version));
      made.add(needImage[0]!);
    }
  } else {
    const imageTag = copySource ? undefined : needImage[0]!;
    manifests = buildManifests(target, missing, version!, created);
    const sent = await sendBatch(target, staging, manifests, imageTag, version!, rootMissing, created);
    ({ taskId: imageTaskId, hiddenManifests } = sent);
    if (sent.imagePath) {
      copySource = sent.imagePath;
      made.add(imageTag!);
    }
  }
  const v = version!;

  // The other tags that need the image: one server-side copy, then reveals.
  const toCopy = needImage.filter((t) => !made.has(t));
  const copyTaskId = toCopy.length > 0 ? await copyToTags(target, staging, copySource!, toCopy, v) : undefined;

  // Manifests last: a version is complete (and resolvable) only once its manifest exists.
  if (!target.backend.batches) {
    manifests = buildManifests(target, missing, v, created);
    await writeManifests(target, staging, manifests, v, rootMissing, created);
  } else {
    await revealManifests(target, staging, hiddenManifests!, v, created);
  }
  staging.finish();
  session.roots.set(target.ep.id, target.root);

  return tags.map((tag) => {
    if (!missing.includes(tag)) return pushResult(target, tag, v, 'exists', undefined, undefined);
    const taskId = toCopy.includes(tag) ? copyTaskId : imageTaskId;
    return pushResult(target, tag, v, 'pushed', taskId, manifests!.get(tag));
  });
}
