/**
 * The staging of one push: every file goes up under a hidden upload name and becomes
 * visible by rename, so a reader never sees half a file. The staging is the one owner of
 * what this push has hidden and what it has published, and so of what a failure removes.
 *
 * A rename never relies on how the service answers a rename onto an existing path (Globus
 * refuses it; the code is unverified, and a POSIX server would replace). When a rename
 * fails, the target is looked at: an image file of the right size there is this version
 * already (its name is its hash), a manifest there completes the version; anything else
 * is a clear error that says what to delete.
 */
import { randomUUID } from 'node:crypto';
import { SregistryError, isSregistryError } from '../../errors.js';
import { parseUploadFileName, parseVersionFileName, uploadPath } from '../../layout.js';
import { parseListingTime, readFolder, type ListingEntry } from '../../versions.js';
import { listFolder } from '../lookup/listing.js';
import { checkAborted } from '../transports/tasks.js';
import type { PushTarget } from './plan.js';
import { rename, stat } from '../../transfer/index.js';

/** A hidden upload this old was left by a push that died; younger ones may still be growing. */
export const STALE_UPLOAD_MS = 24 * 60 * 60 * 1000;

/** How long a best-effort removal may take; it never uses the caller's (maybe aborted) signal. */
const REMOVE_BOUND_MS = 60_000;

/** When to look again for hidden uploads a server wrote after their removal, ms after the previous look. */
const LATE_ARRIVAL_CHECKS_MS = [500, 2000];

export type RevealOutcome = 'revealed' | 'already-there';

export class Staging {
  readonly #target: PushTarget;
  /** Hidden paths this push created and has not revealed. */
  readonly #hidden = new Set<string>();
  /** Image files this push made visible, before their manifests exist. */
  readonly #published = new Set<string>();
  /** Hidden paths whose upload needed more than one attempt: a cut attempt may still land there. */
  readonly #cut = new Set<string>();
  /** Hidden copies that turned out unneeded (the target was already there): removed once the push is done. */
  readonly #unneeded = new Set<string>();

  constructor(target: PushTarget) {
    this.#target = target;
  }

  /** A fresh hidden upload path for `tag`. */
  hide(tag: string): string {
    const t = this.#target;
    const path = uploadPath(t.root, { ...t.ref, tag }, randomUUID());
    this.#hidden.add(path);
    return path;
  }

  /** Makes a hidden image file visible at `to`; `size` is what it must have (default: the pushed file's). */
  revealImage(from: string, to: string, size?: number): Promise<RevealOutcome> {
    return this.#reveal(from, to, 'image', size);
  }

  /** Makes a hidden manifest visible at `to`: from then on that tag's version is complete. */
  revealManifest(from: string, to: string): Promise<RevealOutcome> {
    return this.#reveal(from, to, 'manifest');
  }

  /** An upload to hidden `path` took more than one attempt: after the push, look for a late copy of a cut one. */
  cutUpload(path: string): void {
    this.#cut.add(path);
  }

  /** Every manifest is in place: the published image files belong to complete versions. */
  finish(): void {
    this.#published.clear();
  }

  /** After a failure, best effort: removes what this push hid and the image files it published without a manifest. */
  async abandon(): Promise<void> {
    const { session, ep } = this.#target;
    const signal = AbortSignal.timeout(REMOVE_BOUND_MS);
    // An image file is named by its hash, so another push of the same file may have
    // published it too: once a manifest names it, it belongs to a complete version.
    const orphans: string[] = [];
    for (const p of this.#published) {
      const version = parseVersionFileName(p.slice(p.lastIndexOf('/') + 1));
      if (version === undefined) {
        const manifest = await stat(session.transfer, ep.id, `${p}.json`, { signal }).catch(() => null);
        if (manifest === undefined) orphans.push(p);
        continue;
      }
      const folder = p.slice(0, p.lastIndexOf('/') + 1);
      const entries = await listFolder(session, ep.id, folder, signal).catch(() => undefined);
      if (entries && !readFolder(entries).manifests.some((m) => m.version === version)) orphans.push(p);
    }
    const hidden = [...this.#hidden];
    await this.removeQuietly([...hidden, ...this.#unneeded, ...orphans], 'unfinished');
    if (this.#target.backend.lateArrivals) await this.#removeLateArrivals(hidden, signal);
  }

  /**
   * A server still finishing a cut PUT may put what it received at the hidden name after
   * the DELETE (the sandbox's https_put_cut 'partial' does, as a non-atomic server would):
   * look again a little later and remove what appeared. Best effort, like the removal.
   */
  async #removeLateArrivals(hidden: readonly string[], signal: AbortSignal): Promise<void> {
    const { session, ep } = this.#target;
    for (const delayMs of LATE_ARRIVAL_CHECKS_MS) {
      if (hidden.length === 0 || signal.aborted) return;
      await new Promise((r) => setTimeout(r, delayMs));
      const back: string[] = [];
      for (const p of hidden)
        if ((await stat(session.transfer, ep.id, p, { signal }).catch(() => undefined)) !== undefined) back.push(p);
      if (back.length > 0) await this.removeQuietly(back, 'unfinished');
    }
  }

  /** After success: removes the unneeded hidden copies and `stale` uploads of earlier pushes. */
  async sweep(stale: readonly string[]): Promise<void> {
    await this.removeQuietly([...this.#unneeded], 'unneeded');
    await this.removeQuietly(stale, 'stale');
    // A hidden path already revealed (renamed away) may get a cut attempt's bytes back.
    if (this.#target.backend.lateArrivals)
      await this.#removeLateArrivals([...this.#cut], AbortSignal.timeout(REMOVE_BOUND_MS));
  }

  async #reveal(from: string, to: string, kind: 'image' | 'manifest', expectedSize?: number): Promise<RevealOutcome> {
    const { session, ep, signal } = this.#target;
    const size = expectedSize ?? this.#target.size;
    checkAborted(signal);
    const opts = signal ? { signal } : {};
    try {
      await rename(session.transfer, ep.id, from, to, opts);
      this.#hidden.delete(from);
      if (kind === 'image') this.#published.add(to);
      return 'revealed';
    } catch (err) {
      if (isSregistryError(err) && err.code === 'ABORTED') throw err;
      const there = await stat(session.transfer, ep.id, to, opts);
      if (there === undefined || (there.type !== undefined && there.type !== 'file')) throw err;
      if (kind === 'image' && there.size !== undefined && there.size !== size) {
        throw new SregistryError(
          'CONFLICT',
          `${to} on ${ep.displayName} already exists with ${there.size} bytes, not the ${size} of this image: it is not a complete version; delete that file and push again`,
          { cause: err },
        );
      }
      // The target is there: either a retried rename whose first answer was lost, or an
      // earlier push got this far. The hidden copy, if still there, is not needed.
      const sourceLeft = (await stat(session.transfer, ep.id, from, opts).catch(() => null)) !== undefined;
      this.#hidden.delete(from);
      if (sourceLeft) this.#unneeded.add(from);
      else if (kind === 'image') this.#published.add(to);
      return 'already-there';
    }
  }

  /** Best effort, never throws: deletes remote files by the push's transport (HTTPS DELETEs, or one delete task). */
  async removeQuietly(paths: readonly string[], what: string): Promise<void> {
    if (paths.length === 0) return;
    const { session, ep, backend, label } = this.#target;
    const signal = AbortSignal.timeout(REMOVE_BOUND_MS);
    session.step(`removing ${paths.length} ${what} file${paths.length > 1 ? 's' : ''}`);
    try {
      await backend.remove({ session, ep, signal, image: label, label: `sregistry cleanup ${label}` }, paths);
    } catch (err) {
      session.notice(
        `Could not remove ${what} upload files (${paths.join(', ')}): ${isSregistryError(err) ? err.message : String(err)}`,
      );
    }
  }
}

/** The hidden uploads of an image folder's listing that are stale by `now`. */
export function staleUploads(folder: string, entries: readonly ListingEntry[], now: number): string[] {
  const dir = folder.endsWith('/') ? folder : `${folder}/`;
  return entries
    .filter((e) => (e.type === undefined || e.type === 'file') && parseUploadFileName(e.name) !== undefined)
    .filter((e) => (parseListingTime(e.last_modified) ?? now) < now - STALE_UPLOAD_MS)
    .map((e) => `${dir}${e.name}`);
}
