/**
 * delete: every version of a tag, or the one pinned with @version, in one Transfer delete
 * task. Layout 1: the tag's image files and manifests. Layout 2: the tag's manifests, and
 * each version file that no other manifest names afterwards (one still named by another
 * tag stays; prune removes versions by age). Local storage and records are left alone: a
 * pulled copy stays usable until removed locally.
 */
import { SregistryError } from '../../errors.js';
import { joinInsideRoot } from '../../layout.js';
import { formatGlobusUri, type VersionedRef } from '../../uri.js';
import { readFolder } from '../../versions.js';
import { deleteAndWait } from '../transports/tasks.js';
import { locateImage } from '../lookup/resolve.js';
import type { Session } from '../session.js';
import type { DeleteOptions, DeleteResult } from '../types.js';

export async function deleteImage(session: Session, uriText: string, opts: DeleteOptions = {}): Promise<DeleteResult> {
  const signal = opts.signal;
  const located = await locateImage(session, uriText, signal);
  const { ref, ep, root } = located;
  const index = readFolder(located.entries);
  const matches = (tag: string | undefined, version: string): boolean =>
    tag === ref.tag && (!ref.version || version === ref.version);

  const names = new Set<string>();
  const versions = new Set<string>();
  // Layout 1: each tag's own image file and manifest (a manifest whose image is gone still belongs to the tag).
  const going = (file: { name: string; version: string }): void => {
    names.add(file.name);
    versions.add(file.version);
  };
  for (const f of index.files) if (f.layout === 1 && matches(f.tag, f.version)) going(f);
  const goingManifests = index.manifests.filter((m) => matches(m.tag, m.version));
  for (const m of goingManifests) going(m);
  // Layout 2: a version file goes with the last manifest that names it.
  const stillNamed = new Set(index.manifests.filter((m) => m.layout === 2 && !names.has(m.name)).map((m) => m.version));
  for (const f of index.files) {
    if (
      f.layout === 2 &&
      goingManifests.some((m) => m.layout === 2 && m.version === f.version) &&
      !stillNamed.has(f.version)
    )
      names.add(f.name);
  }

  const shown = `${ref.collection}/${ref.name}:${ref.tag}${ref.version ? `@${ref.version}` : ''}`;
  if (versions.size === 0) {
    const tags = [
      ...new Set(index.manifests.map((m) => m.tag).concat(index.files.flatMap((f) => (f.tag ? [f.tag] : [])))),
    ].sort();
    throw new SregistryError(
      'NOT_FOUND',
      `Nothing to delete: no ${shown} on ${ep.displayName}${tags.length ? ` (existing tags: ${tags.join(', ')})` : ''}`,
    );
  }
  const paths = [...names].sort().map((n) => joinInsideRoot(root, ref.collection, ref.name, n));
  const targets: VersionedRef[] = [...versions].sort().map((version) => ({ ...ref, version }));
  const uris = targets.map((t) => formatGlobusUri({ endpoint: ep.id, ref: t }));
  const imageFiles = targets.map(({ version }) => {
    const deleted = index.files.some((f) => f.version === version && names.has(f.name));
    const keptFor = deleted
      ? []
      : [
          ...new Set(index.manifests.filter((m) => m.version === version && !names.has(m.name)).map((m) => m.tag)),
        ].sort();
    return { version, deleted, keptFor };
  });
  if (opts.dryRun) return { deleted: uris, imageFiles, dryRun: true };
  session.step(
    `deleting ${targets.length} version${targets.length > 1 ? 's' : ''} of ${ref.collection}/${ref.name}:${ref.tag}`,
  );
  const taskId = await deleteAndWait(
    { session, ...(signal ? { signal } : {}), image: shown },
    ep.id,
    paths,
    `sregistry delete ${shown}`,
  );
  return { deleted: uris, imageFiles, taskId };
}
