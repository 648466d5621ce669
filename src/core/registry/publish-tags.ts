/** More tags of a published image: one server-side copy task to hidden names, then renames. */
import { imagePath } from '../layout.js';
import type { Plan } from './push-plan.js';
import { hiddenPath, reveal } from './push-staging.js';
import { transferAndWait } from './tasks.js';

/** Copies the image file at `source` to each of `tags`; returns the copy task's id. */
export async function copyToTags(plan: Plan, source: string, tags: string[], version: string): Promise<string> {
  const { session, ep, ref, signal } = plan;
  const hiddenByTag = new Map(tags.map((t) => [t, hiddenPath(plan, t)]));
  session.step(`copying to tag${tags.length > 1 ? 's' : ''} ${tags.join(', ')}`);
  const taskId = await transferAndWait(
    { session, ...(signal ? { signal } : {}), image: plan.label, total: plan.size * tags.length },
    ep.id,
    ep.id,
    tags.map((t) => ({ source, destination: hiddenByTag.get(t)! })),
    `sregistry tag ${plan.label}`,
  );
  for (const t of tags) await reveal(plan, hiddenByTag.get(t)!, imagePath(plan.root, { ...ref, tag: t, version }), true);
  return taskId;
}
