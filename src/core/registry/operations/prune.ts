/**
 * prune: keep the newest N versions of each name plus every version a tag resolves to now,
 * and delete the rest (their files and the manifests naming them), with one delete task
 * for the whole scope. Also removed: layout-2 manifests repeating a newer one of the same
 * tag and version, and, once older than the grace, image files no manifest names (a push
 * reveals its image before its manifest, so a young one may be a push in flight) and hidden
 * uploads. Works on both layouts; everything is decided from listings, no manifest is read.
 */
import { SregistryError } from '../../errors.js';
import { collectionFolder, imageFolder, joinInsideRoot, parseUploadFileName } from '../../layout.js';
import { isValidName, parseGlobusUri } from '../../uri.js';
import {
  compareByArrival,
  currentVersions,
  parseListingTime,
  readFolder,
  versionsOf,
  type ImageVersionEntry,
  type ListingEntry,
} from '../../versions.js';
import { listFolder } from '../lookup/listing.js';
import { mapLimited } from '../map-limited.js';
import { locateRoot } from '../lookup/root.js';
import type { Session } from '../session.js';
import { deleteAndWait } from '../transports/tasks.js';
import type { PruneOptions, PruneResult, PrunedFile } from '../types.js';

export const DEFAULT_GRACE_HOURS = 24;

interface Scope {
  endpoint: string;
  collection?: string;
  name?: string;
}

/** `globus://<endpoint>[/<collection>[/<name>]]`; a tag or version is refused (prune works on names). */
export function parsePruneScope(text: string): Scope {
  const trimmed = typeof text === 'string' ? text.trim().replace(/\/+$/, '') : '';
  const bad = (why: string) =>
    new SregistryError(
      'INVALID_REFERENCE',
      `Cannot prune ${JSON.stringify(trimmed.slice(0, 200))}: ${why}; give globus://<endpoint>[/<collection>[/<name>]]`,
    );
  const match = /^(globus:\/\/[^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/i.exec(trimmed);
  if (!match) throw bad('expected at most a collection and a name after the endpoint');
  const { endpoint } = parseGlobusUri(match[1]!);
  const collection = match[2]?.toLowerCase();
  const name = match[3]?.toLowerCase();
  if (collection !== undefined && !isValidName(collection)) throw bad(`"${collection}" is not a collection name`);
  if (name !== undefined && (name.includes(':') || name.includes('@')))
    throw bad('prune keeps versions per name, so it takes no tag or version');
  if (name !== undefined && !isValidName(name)) throw bad(`"${name}" is not an image name`);
  return { endpoint, ...(collection ? { collection } : {}), ...(name ? { name } : {}) };
}

export const MIN_GRACE_HOURS = 1;

export function checkPruneOptions(opts: PruneOptions): { keep: number; graceMs: number } {
  const { keep } = opts;
  if (!Number.isSafeInteger(keep) || keep < 0)
    throw new SregistryError(
      'INVALID_INPUT',
      `keep must be a whole number of versions, 0 or more (got ${String(keep)})`,
    );
  const hours = opts.graceHours ?? DEFAULT_GRACE_HOURS;
  // Below an hour the grace would no longer protect a push in flight (its image shows before its manifests).
  if (typeof hours !== 'number' || !Number.isFinite(hours) || hours < MIN_GRACE_HOURS) {
    throw new SregistryError(
      'INVALID_INPUT',
      `The grace must be a number of hours, ${MIN_GRACE_HOURS} or more, so pushes in flight are never collected (got ${String(hours)})`,
    );
  }
  return { keep, graceMs: hours * 3600 * 1000 };
}

export async function prune(session: Session, scopeText: string, opts: PruneOptions): Promise<PruneResult> {
  const { keep, graceMs } = checkPruneOptions(opts);
  const scope = parsePruneScope(scopeText);
  const signal = opts.signal;
  const ep = await session.endpoint(scope.endpoint, signal);
  const within = scope.collection ? [scope.collection, ...(scope.name ? [scope.name] : [])] : undefined;
  const { root } = await locateRoot(session, ep, false, signal, within);
  const limit = session.options.concurrency;
  const dirs = (entries: ListingEntry[]): string[] =>
    entries.filter((e) => e.type === 'dir' && isValidName(e.name)).map((e) => e.name);

  session.step(`listing what to prune at ${root} on ${ep.displayName}`);
  const collections = scope.collection ? [scope.collection] : dirs(await listFolder(session, ep.id, root, signal));
  const names = scope.name
    ? [{ c: scope.collection!, n: scope.name }]
    : (
        await mapLimited(collections, limit, async (c) =>
          dirs(await listFolder(session, ep.id, collectionFolder(root, c), signal)).map((n) => ({ c, n })),
        )
      ).flat();
  const now = Date.now();
  const plans = await mapLimited(names, limit, async ({ c, n }) => {
    const entries = await listFolder(session, ep.id, imageFolder(root, { collection: c, name: n }), signal);
    return planFolder(root, c, n, entries, keep, now - graceMs);
  });

  const removed = plans.flatMap((p) => p.removed);
  const kept = plans.flatMap((p) => p.kept);
  const result: PruneResult = { dryRun: opts.dryRun === true, removed, kept };
  if (opts.dryRun || removed.length === 0) {
    session.step(
      opts.dryRun
        ? `dry run: ${removed.length} file${removed.length === 1 ? '' : 's'} would be deleted`
        : 'nothing to prune',
    );
    return result;
  }
  session.step(`deleting ${removed.length} file${removed.length === 1 ? '' : 's'}`);
  const shown = scope.name ? `${scope.collection}/${scope.name}` : (scope.collection ?? root);
  result.taskId = await deleteAndWait(
    { session, ...(signal ? { signal } : {}), image: shown },
    ep.id,
    removed.map((r) => r.path),
    `sregistry prune ${shown}`,
  );
  return result;
}

/** What one image folder keeps and loses; `cutoff` is the time before which an unnamed file or upload is stale. */
export function planFolder(
  root: string,
  collection: string,
  name: string,
  entries: readonly ListingEntry[],
  keep: number,
  cutoff: number,
): { removed: PrunedFile[]; kept: PruneResult['kept'] } {
  const index = readFolder(entries);
  const versions = versionsOf(index);
  const current = currentVersions(versions);
  // Each version's newest manifest, ordered as resolution orders a tag (versions.ts).
  const latest = new Map<string, ImageVersionEntry>();
  for (const v of versions) {
    if (!v.hasManifest) continue;
    const seen = latest.get(v.version);
    if (!seen || compareByArrival(v, seen) > 0) latest.set(v.version, v);
  }
  const newest = [...latest.values()]
    .sort((a, b) => compareByArrival(b, a))
    .slice(0, keep)
    .map((v) => v.version);
  const keptVersions = new Set([...[...current.values()].map((e) => e.version), ...newest]);
  const path = (file: string): string => joinInsideRoot(root, collection, name, file);
  const removed: PrunedFile[] = [];
  const drop = (file: string, kind: PrunedFile['kind'], extra: { version?: string; tag?: string }) =>
    removed.push({ path: path(file), kind, collection, name, ...extra });
  const stale = (lastModified: number | undefined) => lastModified !== undefined && lastModified < cutoff;

  const namedBy2 = new Set(index.manifests.filter((m) => m.layout === 2 && !m.future).map((m) => m.version));
  const own1 = new Set(index.manifests.filter((m) => m.layout === 1).map((m) => `${m.tag}@${m.version}`));
  for (const f of index.files) {
    if (keptVersions.has(f.version)) continue;
    const named = f.layout === 2 ? namedBy2.has(f.version) : own1.has(`${f.tag}@${f.version}`);
    if (named || stale(f.lastModified))
      drop(f.name, 'version', { version: f.version, ...(f.tag ? { tag: f.tag } : {}) });
  }
  // The manifest each tag and version resolves through; the others of layout 2 repeat it.
  const newest2 = new Set(versions.filter((v) => v.layout === 2 && v.manifestName).map((v) => v.manifestName!));
  for (const m of index.manifests) {
    const repeated = m.layout === 2 && !newest2.has(m.name);
    // Future-stamped manifests never count for a tag (versions.ts): they go too.
    if (!keptVersions.has(m.version) || repeated || m.future)
      drop(m.name, 'manifest', { version: m.version, tag: m.tag });
  }
  for (const e of entries) {
    if (
      (e.type === undefined || e.type === 'file') &&
      parseUploadFileName(e.name) &&
      stale(parseListingTime(e.last_modified))
    )
      drop(e.name, 'upload', {});
  }
  const kept = [...keptVersions].sort().map((version) => ({
    collection,
    name,
    version,
    tags: [...current]
      .filter(([, e]) => e.version === version)
      .map(([t]) => t)
      .sort(),
  }));
  return { removed: removed.sort((a, b) => (a.path < b.path ? -1 : 1)), kept };
}
