/**
 * delete: every version of a tag (image and manifest), or the one pinned with @version, in
 * one Transfer delete task. Local storage and records are left alone: a pulled copy stays
 * usable until removed locally.
 */
import { SregistryError } from '../errors.js';
import { imagePath, manifestPath, parseManifestFileName } from '../layout.js';
import { formatGlobusUri, type VersionedRef } from '../uri.js';
import { deleteAndWait } from './tasks.js';
import { locateImage } from './resolve.js';
import type { Session } from './session.js';
import type { DeleteOptions, DeleteResult } from './types.js';

export async function deleteImage(session: Session, uriText: string, opts: DeleteOptions = {}): Promise<DeleteResult> {
  const signal = opts.signal;
  const located = await locateImage(session, uriText, signal);
  const { ref, ep, root } = located;
  const seen = new Set<string>();
  const targets: VersionedRef[] = [];
  for (const v of located.versions) {
    if (v.tag !== ref.tag || (ref.version && v.version !== ref.version) || seen.has(v.version)) continue;
    seen.add(v.version);
    targets.push({ ...ref, version: v.version });
  }
  // A manifest whose image is gone still belongs to the tag.
  for (const e of located.entries) {
    const m = parseManifestFileName(e.name);
    if (m && m.tag === ref.tag && (!ref.version || m.version === ref.version) && !seen.has(m.version)) {
      seen.add(m.version);
      targets.push({ ...ref, version: m.version });
    }
  }
  const shown = `${ref.collection}/${ref.name}:${ref.tag}${ref.version ? `@${ref.version}` : ''}`;
  if (targets.length === 0) {
    const tags = [...new Set(located.versions.map((v) => v.tag))].sort();
    throw new SregistryError('NOT_FOUND', `Nothing to delete: no ${shown} on ${ep.displayName}${tags.length ? ` (existing tags: ${tags.join(', ')})` : ''}`);
  }
  const uris = targets.map((t) => formatGlobusUri({ endpoint: ep.id, ref: t }));
  if (opts.dryRun) return { deleted: uris, dryRun: true };
  const paths = targets.flatMap((t) => [imagePath(root, t), manifestPath(root, t)]);
  session.step(`deleting ${targets.length} version${targets.length > 1 ? 's' : ''} of ${ref.collection}/${ref.name}:${ref.tag}`);
  const taskId = await deleteAndWait({ session, ...(signal ? { signal } : {}), image: shown }, ep.id, paths, `sregistry delete ${shown}`);
  return { deleted: uris, taskId };
}
