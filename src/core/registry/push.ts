/**
 * push: a local file to `globus://<endpoint>/<collection>/<name>[:<tag>]`.
 *
 * The file is read once in the normal case. The image folder is listed first; when no
 * version there has the file's size, the bytes go straight up (HTTPS hashes them in the
 * same pass); when one has, the file is hashed first and an existing version is reused.
 * Bytes land under a hidden name and become visible by rename, the manifest last, so a
 * reader never sees half an image. More tags are made by one server-side copy task.
 */
import type { Manifest } from '../manifest.js';
import type { ImageVersionEntry } from '../versions.js';
import { copyToTags } from './publish-tags.js';
import { createImageFolder, uploadImage, writeManifests } from './publish-https.js';
import { revealManifests, sendByTransfer } from './publish-transfer.js';
import { cleanup, removeQuietly, staleUploads } from './push-cleanup.js';
import { buildManifests } from './push-manifests.js';
import { completeCopies, hashFirstIfNeeded, planPush, type Plan } from './push-plan.js';
import { pushResult } from './push-results.js';
import type { Session } from './session.js';
import type { ImageResult, PushOptions } from './types.js';

export async function push(session: Session, file: string, uriText: string, opts: PushOptions = {}): Promise<ImageResult[]> {
  const { plan, tags, folder, entries, versions, rootMissing } = await planPush(session, file, uriText, opts);
  const version = await hashFirstIfNeeded(plan, versions);

  let results: ImageResult[];
  try {
    results = await publish(plan, tags, versions, entries === undefined, rootMissing, version);
  } catch (err) {
    await cleanup(plan);
    throw err;
  }
  // The listing already shows uploads that earlier pushes left when they died: sweep them.
  await removeQuietly(plan, staleUploads(folder, entries ?? [], Date.now()), 'stale');
  return results;
}

async function publish(
  plan: Plan,
  tags: string[],
  versions: ImageVersionEntry[],
  folderMissing: boolean,
  rootMissing: boolean,
  knownVersion: string | undefined,
): Promise<ImageResult[]> {
  const { session } = plan;
  let version = knownVersion;
  let existingTags = new Set<string>();
  let copySource: string | undefined;
  if (version !== undefined) {
    ({ tags: existingTags, copySource } = completeCopies(plan, versions, version));
    if (tags.every((t) => existingTags.has(t))) {
      session.notice(`${plan.label}@${version} is already there: nothing uploaded`);
      return tags.map((tag) => pushResult(plan, tag, version!, 'exists', undefined, undefined));
    }
  }
  const missing = tags.filter((t) => !existingTags.has(t));
  const created = new Date();
  let firstTaskId: string | undefined;
  let manifests: Map<string, Manifest> | undefined;
  let hiddenManifests: Map<string, string> | undefined;

  // The image file, under the first missing tag, unless a complete copy is already there.
  if (plan.transport === 'https') {
    if (folderMissing) await createImageFolder(plan);
    if (!copySource) {
      ({ version, path: copySource } = await uploadImage(plan, missing[0]!, version));
      existingTags.add(missing[0]!);
    }
  } else {
    const sent = await sendByTransfer(plan, missing, version!, copySource, rootMissing, created);
    ({ taskId: firstTaskId, manifests, hiddenManifests } = sent);
    if (sent.imagePath) {
      copySource = sent.imagePath;
      existingTags.add(missing[0]!);
    }
  }

  const v = version!;
  // The other tags: one server-side copy of the published file, then renames.
  const toCopy = missing.filter((t) => !existingTags.has(t));
  const copyTaskId = toCopy.length > 0 ? await copyToTags(plan, copySource!, toCopy, v) : undefined;

  // Manifests last: a version is complete (and resolvable) only once its manifest exists.
  if (plan.transport === 'https') {
    manifests = buildManifests(plan, missing, v, created);
    await writeManifests(plan, manifests, missing, v, rootMissing, created);
  } else {
    await revealManifests(plan, hiddenManifests!, missing, v);
  }
  plan.published.length = 0;
  session.roots.set(plan.ep.id, plan.root);

  return tags.map((tag) => {
    if (!missing.includes(tag)) return pushResult(plan, tag, v, 'exists', undefined, undefined);
    const taskId = toCopy.includes(tag) ? copyTaskId : firstTaskId;
    return pushResult(plan, tag, v, 'pushed', taskId, manifests!.get(tag));
  });
}
