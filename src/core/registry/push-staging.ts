/**
 * A push writes every file under a hidden upload name and makes it visible by rename, so
 * a reader never sees half a file. The plan remembers what is hidden or published so a
 * failed push can remove it.
 */
import { randomUUID } from 'node:crypto';
import { uploadPath } from '../layout.js';
import type { Plan } from './push-plan.js';
import { checkAborted } from './tasks.js';
import { isMissingPath } from './listing.js';

/** A fresh hidden upload path for `tag`, recorded in the plan. */
export function hiddenPath(plan: Plan, tag: string): string {
  const path = uploadPath(plan.root, { ...plan.ref, tag }, randomUUID());
  plan.hidden.push(path);
  return path;
}

/** Renames a hidden file into place; an image file is then recorded as published. */
export async function reveal(plan: Plan, from: string, to: string, isImage: boolean): Promise<void> {
  checkAborted(plan.signal);
  const opts = plan.signal ? { signal: plan.signal } : {};
  try {
    await plan.session.transfer.rename(plan.ep.id, from, to, opts);
  } catch (err) {
    // A rename retried after its answer was lost finds its source gone: done if the target is there.
    if (!isMissingPath(err) || (await plan.session.transfer.stat(plan.ep.id, to, opts))?.type !== 'file') throw err;
  }
  plan.hidden = plan.hidden.filter((p) => p !== from);
  if (isImage) plan.published.push(to);
}
