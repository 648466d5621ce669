/**
 * Sweeps local storage of the hidden temp files (`.sregistry-*.partial`) that a pull
 * killed mid-download (SIGKILL, OOM, a cancelled CI job) leaves behind, as push does for
 * its hidden uploads on the collection. Only files untouched for a day go: a download
 * still running in another process writes its temp file all along, so it stays younger.
 */
import { cleanupStaleTemps } from '../../storage.js';
import type { Session } from '../session.js';

export const STALE_LOCAL_TEMP_MS = 24 * 60 * 60 * 1000;
/** A long-lived Registry (Node-RED) sweeps again after this long; a CLI run sweeps once. */
const SWEEP_EVERY_MS = 60 * 60 * 1000;

const lastSweep = new WeakMap<Session, number>();

/** Best effort: a sweep that fails (a folder not readable) never fails the operation. */
export async function sweepLocalStorage(session: Session, now: number = Date.now()): Promise<void> {
  const last = lastSweep.get(session);
  if (last !== undefined && now - last < SWEEP_EVERY_MS) return;
  lastSweep.set(session, now);
  const storage = session.options.storage;
  try {
    const removed = await cleanupStaleTemps(storage, STALE_LOCAL_TEMP_MS, now);
    if (removed.length > 0)
      session.notice(
        `removed ${removed.length} temporary file(s) over a day old, left in ${storage} by interrupted downloads`,
      );
  } catch {
    // nothing to do: the next sweep tries again
  }
}
