/**
 * What a push removes: the hidden and half-published files of a failed push, and the
 * hidden uploads that earlier pushes left when they died.
 */
import { isSregistryError } from '../errors.js';
import { parseUploadFileName } from '../layout.js';
import { parseListingTime, type ListingEntry } from '../versions.js';
import type { Plan } from './push-plan.js';
import { deleteAndWait } from './tasks.js';
import { httpsTarget } from './session.js';

/** Best effort: removes what this push left behind; never throws, never uses the caller's (maybe aborted) signal. */
export async function cleanup(plan: Plan): Promise<void> {
  const { session, ep } = plan;
  const signal = AbortSignal.timeout(60_000);
  // An image file is named by its hash, so another push of the same file may have
  // published it too: once a manifest sits beside it, it belongs to a complete version.
  const published: string[] = [];
  for (const p of plan.published) {
    const manifest = await session.transfer.stat(ep.id, `${p}.json`, { signal }).catch(() => null);
    if (manifest === undefined) published.push(p);
  }
  await removeQuietly(plan, [...plan.hidden, ...published], 'unfinished');
}

/** Best effort, never throws: deletes remote files (HTTPS DELETEs, or one delete task). */
export async function removeQuietly(plan: Plan, paths: string[], what: string): Promise<void> {
  if (paths.length === 0) return;
  const { session, ep } = plan;
  const signal = AbortSignal.timeout(60_000);
  session.step(`removing ${paths.length} ${what} file${paths.length > 1 ? 's' : ''}`);
  try {
    if (plan.transport === 'https' && ep.httpsServer) {
      for (const p of paths) {
        await session.https.remove(httpsTarget(ep), p, { signal }).catch((err: unknown) => {
          if (!(isSregistryError(err) && err.code === 'NOT_FOUND')) throw err;
        });
      }
    } else {
      await deleteAndWait({ session, signal, image: plan.label }, ep.id, paths, `sregistry cleanup ${plan.label}`);
    }
  } catch (err) {
    session.notice(`Could not remove ${what} upload files (${paths.join(', ')}): ${isSregistryError(err) ? err.message : String(err)}`);
  }
}

/** A hidden upload this old was left by a push that died; younger ones may still be growing. */
export const STALE_UPLOAD_MS = 24 * 60 * 60 * 1000;

/** The hidden uploads of an image folder's listing that are stale by `now`. */
export function staleUploads(folder: string, entries: readonly ListingEntry[], now: number): string[] {
  const dir = folder.endsWith('/') ? folder : `${folder}/`;
  return entries
    .filter((e) => (e.type === undefined || e.type === 'file') && parseUploadFileName(e.name) !== undefined)
    .filter((e) => (parseListingTime(e.last_modified) ?? now) < now - STALE_UPLOAD_MS)
    .map((e) => `${dir}${e.name}`);
}
