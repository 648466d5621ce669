/**
 * After publishing, a push lists the image folder once more and checks that every tag it
 * wrote names what it pushed. Another writer may have won the tag meanwhile (the later
 * arrival at the server wins, versions.ts), or this machine's clock may be so far ahead
 * that its manifest is from the future and ignored: either way "pushed" would be untrue.
 * A winner dated ahead of the server's clock (within the skew) keeps winning until then:
 * pushing again cannot beat it, removing it can.
 */
import { SregistryError } from '../../errors.js';
import { joinInsideRoot } from '../../layout.js';
import { newestVersion, readFolder, STAMP_SKEW_MS, versionsOf, type Listing } from '../../versions.js';
import { listFolder } from '../lookup/listing.js';
import type { ImageResult } from '../types.js';
import type { PushTarget } from './plan.js';
import type { Staging } from './staging.js';

export async function readBackTags(
  target: PushTarget,
  staging: Staging,
  folder: string,
  results: readonly ImageResult[],
): Promise<void> {
  const { session } = target;
  if (!results.some((r) => r.status === 'pushed')) return;
  session.step(`reading back ${folder}`);
  const entries = (await listFolder(session, target.ep.id, folder, target.signal)) as Listing;
  const index = readFolder(entries);
  const versions = versionsOf(index);
  for (const r of results) {
    const winner = newestVersion(versions, r.tag);
    if (winner?.version === r.version) continue;
    const shown = `${target.ref.collection}/${target.ref.name}:${r.tag}`;
    const own = index.manifests.find((m) => m.tag === r.tag && m.version === r.version && m.future);
    if (own) {
      // Ignored by every reader anyway: not left behind for doctor to report.
      await staging.removeQuietly(
        [joinInsideRoot(target.root, target.ref.collection, target.ref.name, own.name)],
        'future-stamped manifest',
      );
      throw new SregistryError(
        'CONFLICT',
        `${shown} was written as ${own.name}, stamped more than ${STAMP_SKEW_MS / 60_000} minutes ahead of the server's clock (this clock is ahead), so readers ignore it and it was removed: set this machine's clock right (NTP) and push again`,
      );
    }
    const now = entries.serverTime ?? Date.now();
    const dated = winner
      ? Math.max(winner.manifestLastModified ?? -Infinity, winner.published ?? -Infinity)
      : -Infinity;
    if (winner && dated > now) {
      throw new SregistryError(
        'CONFLICT',
        `${shown} names ${winner.manifestName} (version ${winner.version}), dated ${new Date(dated).toISOString()}, later than the server's clock: it wins over any push until then, so pushing again cannot win; remove that manifest (delete globus://${target.ep.id}/${target.ref.collection}/${target.ref.name}:${r.tag}@${winner.version}, or prune) and push again`,
      );
    }
    const what = winner ? `${winner.manifestName} (version ${winner.version})` : 'no complete version';
    throw new SregistryError(
      'CONFLICT',
      `${shown} names ${what} after this push of version ${r.version}: another push to the tag arrived later and wins; push again to make the tag name this version`,
    );
  }
}
