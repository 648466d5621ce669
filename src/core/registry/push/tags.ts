/** More tags of a published image: one server-side copy task to hidden names, then reveals. */
import { imagePath } from '../../layout.js';
import { transferAndWait } from '../transports/tasks.js';
import type { PushTarget } from './plan.js';
import type { Staging } from './staging.js';

/** Copies the image file at `source` to each of `tags`; returns the copy task's id. */
export async function copyToTags(
  target: PushTarget,
  staging: Staging,
  source: string,
  tags: readonly string[],
  version: string,
): Promise<string> {
  const { session, ep, ref, signal } = target;
  const hiddenByTag = new Map(tags.map((t) => [t, staging.hide(t)]));
  session.step(`copying to tag${tags.length > 1 ? 's' : ''} ${tags.join(', ')}`);
  const taskId = await transferAndWait(
    { session, ...(signal ? { signal } : {}), image: target.label, total: target.size * tags.length },
    ep.id,
    ep.id,
    tags.map((t) => ({ source, destination: hiddenByTag.get(t)!, sha256: version })),
    `sregistry tag ${target.label}`,
  );
  for (const t of tags)
    await staging.revealImage(hiddenByTag.get(t)!, imagePath(target.root, { ...ref, tag: t, version }));
  return taskId;
}
