/**
 * After publishing, a push lists the image folder once more and checks that every tag it
 * wrote names what it pushed. Another writer may have won the tag meanwhile (the later
 * arrival at the server wins, versions.ts), or this machine's clock may be so far ahead
 * that its manifest is future-stamped and ignored: either way "pushed" would be untrue.
 */
import { SregistryError } from '../../errors.js';
import { joinInsideRoot } from '../../layout.js';
import { newestVersion, readFolder, versionsOf, type ListingEntry } from '../../versions.js';
import { listFolder } from '../listing.js';
import type { ImageResult } from '../types.js';
import type { PushTarget } from './plan.js';
import type { Staging } from './staging.js';

export async function readBackTags(target: PushTarget, staging: Staging, folder: string, results: readonly ImageResult[]): Promise<void> {
  const { session } = target;
  if (!results.some((r) => r.status === 'pushed')) return;
  session.step(`reading back ${folder}`);
  const entries = (await listFolder(session, target.ep.id, folder, target.signal)) as ListingEntry[];
  const index = readFolder(entries);
  const versions = versionsOf(index);
  for (const r of results) {
    const winner = newestVersion(versions, r.tag);
    if (winner?.version === r.version) continue;
    const shown = `${target.ref.collection}/${target.ref.name}:${r.tag}`;
    const own = index.manifests.find((m) => m.tag === r.tag && m.version === r.version && m.future);
    if (own) {
      // Ignored by every reader anyway: not left behind for doctor to report.
      await staging.removeQuietly([joinInsideRoot(target.root, target.ref.collection, target.ref.name, own.name)], 'future-stamped manifest');
      throw new SregistryError(
        'CONFLICT',
        `${shown} was written as ${own.name}, stamped more than 5 minutes ahead of the time the server gave the file (this clock is ahead), so readers ignore it and it was removed: set this machine's clock right (NTP) and push again`,
      );
    }
    const what = winner ? `${winner.manifestName} (version ${winner.version})` : 'no complete version';
    throw new SregistryError(
      'CONFLICT',
      `${shown} names ${what} after this push of version ${r.version}: another push to the tag arrived later and wins; push again to make the tag name this version`,
    );
  }
}
