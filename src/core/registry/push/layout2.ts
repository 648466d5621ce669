/**
 * Publishing into a layout-2 registry (layout.ts): the version file `sha256.<version>.sif`
 * once, unless it is there already (its name is its hash, so a file of the right size
 * there IS this version and is never renamed onto), then one small stamped manifest per
 * tag that does not name this version yet. More tags move no image bytes.
 */
import { SregistryError } from '../../errors.js';
import { versionFilePath } from '../../layout.js';
import type { Manifest } from '../../manifest.js';
import { currentVersions, readFolder } from '../../versions.js';
import type { ImageResult } from '../types.js';
import { createImageFolder, uploadImage, writeManifests } from './send-each.js';
import { buildManifests } from './manifests.js';
import type { PlannedPush, PushTarget } from './plan.js';
import { pushResult } from './results.js';
import type { Staging } from './staging.js';
import { revealManifests, sendBatch } from './send-batch.js';
import { stat } from '../../transfer/index.js';

export async function publishLayout2(
  target: PushTarget,
  staging: Staging,
  planned: PlannedPush,
  knownVersion: string | undefined,
): Promise<ImageResult[]> {
  const { session } = target;
  const { tags, versions, entries, rootMissing } = planned;
  const index = readFolder(entries ?? []);
  const current = currentVersions(versions.filter((v) => v.layout === 2));
  const fileThere = (version: string | undefined): boolean =>
    version !== undefined && index.files.some((f) => f.layout === 2 && f.version === version && f.size === target.size);
  const naming = (version: string | undefined): Set<string> =>
    new Set(tags.filter((t) => version !== undefined && current.get(t)?.version === version));

  let named = naming(knownVersion);
  if (fileThere(knownVersion) && tags.every((t) => named.has(t))) {
    session.notice(`${target.label}@${knownVersion} is already there: nothing uploaded`);
    return tags.map((tag) => pushResult(target, tag, knownVersion!, 'exists', undefined, undefined));
  }
  const created = new Date();
  const uploadedNothing = fileThere(knownVersion);
  let version = knownVersion;
  let taskId: string | undefined;
  let manifests: Map<string, Manifest>;
  let missing: string[];

  if (!target.backend.batches) {
    if (entries === undefined) await createImageFolder(target, rootMissing);
    // The upload hashes as it goes when the version was not needed first.
    if (!fileThere(version)) ({ version } = await uploadImage(target, staging, tags[0]!, version));
    named = naming(version);
    missing = tags.filter((t) => !named.has(t));
    manifests = buildManifests(target, missing, version!, created);
    await writeManifests(target, staging, manifests, version!, rootMissing, created);
  } else {
    missing = tags.filter((t) => !named.has(t));
    manifests = buildManifests(target, missing, version!, created);
    const sent = await sendBatch(
      target,
      staging,
      manifests,
      fileThere(version) ? undefined : tags[0]!,
      version!,
      rootMissing,
      created,
    );
    taskId = sent.taskId;
    await revealManifests(target, staging, sent.hiddenManifests, version!, created);
  }
  staging.finish();
  // Only manifests were written: a delete or prune running meanwhile may have removed the
  // version file they name, which would leave the tags resolving elsewhere unnoticed.
  if (uploadedNothing && missing.length > 0) await checkVersionFileStays(target, version!);
  session.roots.set(target.ep.id, target.root);
  session.layouts.set(`${target.ep.id}:${target.root}`, 2);

  const v = version!;
  return tags.map((tag) =>
    missing.includes(tag)
      ? pushResult(target, tag, v, 'pushed', taskId, manifests.get(tag))
      : pushResult(target, tag, v, 'exists', undefined, undefined),
  );
}

async function checkVersionFileStays(target: PushTarget, version: string): Promise<void> {
  const path = versionFilePath(target.root, target.ref, version);
  const entry = await stat(target.session.transfer, target.ep.id, path, target.signal ? { signal: target.signal } : {});
  if (entry === undefined || entry.size !== target.size) {
    throw new SregistryError(
      'CONFLICT',
      `${path} was removed while ${target.label} was being tagged (a delete or prune ran at the same time): push ${target.file} again to upload it`,
    );
  }
}
