/**
 * search: without an endpoint, Globus endpoint search; with one, the registry's images.
 * Listing a registry costs one ls for the root, one per collection and one per image
 * name: every version of every tag comes out of its image folder's single listing.
 */
import { collectionFolder, imageFolder, joinInsideRoot } from '../../layout.js';
import { isSregistryError } from '../../errors.js';
import { readManifestHttps } from '../transports/manifest-io.js';
import { indexListing, newestVersion, type ListingEntry } from '../../versions.js';
import type { EndpointDocument } from '../../transfer/documents.js';
import { formatGlobusUri, isGlobusUri, isValidName, parseGlobusUri } from '../../uri.js';
import { listFolder, nameFolders } from '../lookup/listing.js';
import { locateRoot } from '../lookup/root.js';
import { Concurrency, mapLimited } from '../map-limited.js';
import { endpointInfo } from '../endpoint.js';
import type { Session } from '../session.js';
import type { SearchHit, SearchOptions } from '../types.js';
import { searchEndpoints as findEndpoints } from '../../transfer/index.js';

export async function search(
  session: Session,
  query: string | undefined,
  opts: SearchOptions = {},
): Promise<SearchHit[]> {
  const q = query?.trim().toLowerCase() || undefined;
  if (opts.endpoint === undefined) return searchEndpoints(session, query?.trim() || undefined, opts.signal);
  return searchRegistry(session, opts.endpoint, q, opts.signal, opts.signers === true);
}

async function searchEndpoints(
  session: Session,
  query: string | undefined,
  signal?: AbortSignal,
): Promise<SearchHit[]> {
  session.step(query ? `searching endpoints for "${query}"` : 'listing your endpoints and those shared with you');
  const seen = new Set<string>();
  const hits: SearchHit[] = [];
  const add = (doc: EndpointDocument): void => {
    const info = endpointInfo(doc);
    if (seen.has(info.id)) return;
    seen.add(info.id);
    hits.push({
      kind: 'endpoint',
      uri: formatGlobusUri({ endpoint: info.id }),
      endpoint: {
        id: info.id,
        displayName: info.displayName,
        entityType: info.entityType,
        httpsServer: info.httpsServer,
        owner: info.owner,
      },
    });
  };
  const s = signal ? { signal } : {};
  if (query) {
    for await (const doc of findEndpoints(session.transfer, { fulltext: query, ...s })) add(doc);
  } else {
    // Globus wants words for a search of all endpoints; without them, show the caller's own and shared ones.
    for (const scope of ['my-endpoints', 'shared-with-me'] as const) {
      for await (const doc of findEndpoints(session.transfer, { scope, ...s })) add(doc);
    }
  }
  return hits;
}

/**
 * What a query says about the collection and name parts, so folders that cannot hold a hit
 * are not listed. Names hold neither "/" nor ":", so those characters in the query pin
 * where it sits in `collection/name:tag`.
 */
export interface Pruner {
  collection(c: string): boolean;
  name(c: string, n: string): boolean;
}

export function pruner(q: string | undefined): Pruner {
  const all: Pruner = { collection: () => true, name: () => true };
  if (!q) return all;
  const slash = q.indexOf('/');
  if (slash >= 0) {
    const before = q.slice(0, slash);
    const after = q.slice(slash + 1);
    if (after.includes('/')) return { collection: () => false, name: () => false };
    return {
      collection: (c) => c.endsWith(before),
      name: (c, n) =>
        c.endsWith(before) && (`${n}:`.startsWith(after) || after.startsWith(`${n}:`) || n.startsWith(after)),
    };
  }
  const colon = q.indexOf(':');
  if (colon >= 0) {
    const before = q.slice(0, colon);
    return { collection: () => true, name: (_c, n) => n.endsWith(before) };
  }
  return all;
}

const folders = nameFolders;

/** The collection a query such as `lab/app` names, when its part before the `/` is a whole name. */
function pinnedCollection(q: string | undefined): string | undefined {
  const slash = q?.indexOf('/') ?? -1;
  const before = slash > 0 ? q!.slice(0, slash) : undefined;
  return before !== undefined && isValidName(before) ? before : undefined;
}

/**
 * The root's listing. A client whose rule covers only the collection its query names may
 * not list the root: that collection is then the one listed.
 */
async function listRoot(
  session: Session,
  endpoint: string,
  root: string,
  pinned: string | undefined,
  signal?: AbortSignal,
): Promise<ListingEntry[]> {
  try {
    return await listFolder(session, endpoint, root, signal);
  } catch (err) {
    if (pinned === undefined || !isSregistryError(err) || err.code !== 'PERMISSION_DENIED') throw err;
    return [{ name: pinned, type: 'dir' }];
  }
}

async function searchRegistry(
  session: Session,
  endpoint: string,
  q: string | undefined,
  signal: AbortSignal | undefined,
  signers: boolean,
): Promise<SearchHit[]> {
  const target = isGlobusUri(endpoint) ? parseGlobusUri(endpoint).endpoint : endpoint;
  const ep = await session.endpoint(target, signal);
  const pinned = pinnedCollection(q);
  const { root } = await locateRoot(session, ep, false, signal, pinned ? [pinned] : undefined);
  const limit = rateAware(session);
  const prune = pruner(q);
  session.step(`listing the registry at ${root} on ${ep.displayName}`);
  const collections = folders(await listRoot(session, ep.id, root, pinned, signal)).filter(prune.collection);
  const names = (
    await mapLimited(
      collections,
      limit.gauge,
      limit.watch(async (c) =>
        folders(await listFolder(session, ep.id, collectionFolder(root, c), signal)).map((n) => ({ c, n })),
      ),
    )
  )
    .flat()
    .filter(({ c, n }) => prune.name(c, n));
  session.step(`listing ${names.length} image${names.length === 1 ? '' : 's'}`);
  const hits = await mapLimited(
    names,
    limit.gauge,
    limit.watch(async ({ c, n }: { c: string; n: string }) => {
      const versions = indexListing(
        await listFolder(session, ep.id, imageFolder(root, { collection: c, name: n }), signal),
      );
      const tags = [...new Set(versions.map((v) => v.tag))];
      const out: SearchHit[] = [];
      for (const tag of tags) {
        if (q && !`${c}/${n}:${tag}`.includes(q)) continue;
        const newest = newestVersion(versions, tag);
        if (!newest) continue;
        const image: NonNullable<SearchHit['image']> = { collection: c, name: n, tag, version: newest.version };
        if (newest.size !== undefined) image.size = newest.size;
        const time = newest.published ?? newest.manifestLastModified ?? newest.lastModified;
        if (time !== undefined) image.lastModified = new Date(time).toISOString();
        if (signers && ep.httpsServer && newest.manifestName) {
          // One GET per hit, asked for: the signer fingerprints the manifest lists (advisory, not checked).
          const ref = { collection: c, name: n, tag, version: newest.version };
          const path = joinInsideRoot(root, c, n, newest.manifestName);
          const manifest = await readManifestHttps(session, ep, path, ref, newest.manifestSize, signal);
          image.signatures = manifest.signatures ?? [];
        }
        out.push({
          kind: 'image',
          uri: formatGlobusUri({ endpoint: ep.id, ref: { collection: c, name: n, tag } }),
          image,
        });
      }
      return out;
    }),
  );
  return hits.flat().sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
}

/**
 * The listing concurrency of one search, halved each time a retry since the last look was
 * of a rate limit (the retry decision says which are): the retry layer waits each limited
 * call out, and fewer calls at once keep the next window from filling up again.
 */
function rateAware(session: Session): {
  gauge: Concurrency;
  watch<T, R>(fn: (item: T) => Promise<R>): (item: T) => Promise<R>;
} {
  const gauge = new Concurrency(session.options.concurrency);
  let seen = session.rateLimitRetries.total;
  const look = (): void => {
    if (session.rateLimitRetries.total === seen) return;
    seen = session.rateLimitRetries.total;
    if (gauge.lower())
      session.notice(
        `Globus is limiting this client's request rate; listing ${gauge.limit} folder${gauge.limit === 1 ? '' : 's'} at a time`,
      );
  };
  return {
    gauge,
    watch: (fn) => async (item) => {
      try {
        return await fn(item);
      } finally {
        look();
      }
    },
  };
}
