/**
 * The manifests of a registry stamped in the future (versions.ts, STAMP_SKEW_MS): written
 * by a clock far ahead, or planted to pin a tag. Resolution ignores them; doctor lists them
 * with this walk (one ls per collection and per name); delete and prune remove them.
 */
import { collectionFolder, imageFolder, joinInsideRoot } from '../../layout.js';
import { isValidName } from '../../uri.js';
import { futureManifests, readFolder, type ListingEntry } from '../../versions.js';
import { listFolder } from './listing.js';
import { mapLimited } from '../map-limited.js';
import type { EndpointInfo } from '../endpoint.js';
import type { Session } from '../session.js';

const dirs = (entries: ListingEntry[]): string[] =>
  entries.filter((e) => e.type === 'dir' && isValidName(e.name)).map((e) => e.name);

/** Endpoint paths of every future-stamped manifest under `root`, sorted. */
export async function findFutureManifests(
  session: Session,
  ep: EndpointInfo,
  root: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const limit = session.options.concurrency;
  const collections = dirs(await listFolder(session, ep.id, root, signal));
  const names = (
    await mapLimited(collections, limit, async (c) =>
      dirs(await listFolder(session, ep.id, collectionFolder(root, c), signal)).map((n) => ({ c, n })),
    )
  ).flat();
  const found = await mapLimited(names, limit, async ({ c, n }) => {
    const index = readFolder(await listFolder(session, ep.id, imageFolder(root, { collection: c, name: n }), signal));
    return futureManifests(index).map((m) => joinInsideRoot(root, c, n, m.name));
  });
  return found.flat().sort();
}
