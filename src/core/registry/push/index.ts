/**
 * push: a local file to `globus://<endpoint>/<collection>/<name>[:<tag>]`, as one story.
 *
 * 1. Plan (`plan.ts`): endpoint, transport, registry root, and the image folder's listing.
 *    The file is hashed first only when that listing could already hold it (or over
 *    Transfer, where names are chosen before the task runs); otherwise the HTTPS upload
 *    hashes it in the same pass, so the file is read once.
 * 2. Decide from the listing what each tag still needs: nothing (a complete version), only
 *    its manifest (an interrupted push left the image file), or the image too.
 * 3. Publish the image once (`https.ts` or `transfer.ts`), more tags by one server-side
 *    copy (`tags.ts`), the manifests last (a version is complete only once its manifest
 *    exists). Every file goes up hidden and is revealed by rename (`staging.ts`).
 * 4. On failure the staging removes what this push hid or published without a manifest;
 *    on success it sweeps what earlier, dead pushes left behind.
 */
import type { Manifest } from '../../manifest.js';
import type { Session } from '../session.js';
import type { ImageResult, PushOptions } from '../types.js';
import { createImageFolder, uploadImage, writeManifests } from './https.js';
import { buildManifests } from './manifests.js';
import { existingCopies, hashFirstIfNeeded, planPush, type ExistingCopies, type PlannedPush, type PushTarget } from './plan.js';
import { pushResult } from './results.js';
import { Staging, staleUploads } from './staging.js';
import { copyToTags } from './tags.js';
import { revealManifests, sendByTransfer } from './transfer.js';


export async function push(session: Session, file: string, uriText: string, opts: PushOptions = {}): Promise<ImageResult[]> {
  const planned = await planPush(session, file, uriText, opts);
  const { target, folder, entries, versions } = planned;
  const version = await hashFirstIfNeeded(target, versions);
  const staging = new Staging(target);
  let results: ImageResult[];
  try {
    results = await publish(target, staging, planned, version);
  } catch (err) {
    await staging.abandon();
    throw err;
  }
  await staging.sweep(staleUploads(folder, entries ?? [], Date.now()));
  return results;
}

const NOTHING_THERE: ExistingCopies = { complete: new Set(), imageOnly: new Set(), copySource: undefined };

async function publish(target: PushTarget, staging: Staging, planned: PlannedPush, knownVersion: string | undefined): Promise<ImageResult[]> {
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
  if (target.transport === 'https') {
    if (entries === undefined) await createImageFolder(target, rootMissing);
    if (!copySource) {
      ({ version, path: copySource } = await uploadImage(target, staging, needImage[0]!, version));
      made.add(needImage[0]!);
    }
  } else {
    const imageTag = copySource ? undefined : needImage[0]!;
    manifests = buildManifests(target, missing, version!, created);
    const sent = await sendByTransfer(target, staging, manifests, imageTag, version!, rootMissing, created);
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
  if (target.transport === 'https') {
    manifests = buildManifests(target, missing, v, created);
    await writeManifests(target, staging, manifests, v, rootMissing, created);
  } else {
    await revealManifests(target, staging, hiddenManifests!, v);
  }
  staging.finish();
  session.roots.set(target.ep.id, target.root);

  return tags.map((tag) => {
    if (!missing.includes(tag)) return pushResult(target, tag, v, 'exists', undefined, undefined);
    const taskId = toCopy.includes(tag) ? copyTaskId : imageTaskId;
    return pushResult(target, tag, v, 'pushed', taskId, manifests!.get(tag));
  });
}
