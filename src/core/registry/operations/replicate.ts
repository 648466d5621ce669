/**
 * replicate: copy a name's tags (all of them, or those named) from one layout-2 registry to
 * another collection, by ONE Transfer task between the two collections (no bytes through
 * this machine; checksum sync and verification). The task writes every missing version
 * file and manifest under hidden names; then the version files are revealed, the manifests
 * last, so a reader at the other site never sees a tag whose version is not whole. What
 * the other site has already (same file name: a version is named by its hash, a manifest
 * by tag, version and stamp) is not copied. The stamps travel in the names, so both sites
 * agree on which version each tag names.
 */
import { SregistryError } from '../../errors.js';
import { imageFolder, joinInsideRoot, markerPath, type Layout } from '../../layout.js';
import { formatGlobusUri, parseGlobusUri, parseImageUri, parseTags, type ImageRef } from '../../uri.js';
import { newestVersion, readFolder, type ImageVersionEntry } from '../../versions.js';
import { listFolder } from '../lookup/listing.js';
import { transfer } from '../transports/transfer/index.js';
import { transportFor } from '../transports/transport.js';
import type { PushTarget } from '../push/plan.js';
import { Staging } from '../push/staging.js';
import { locateImage } from '../lookup/resolve.js';
import { layoutFromFolders, locateRoot, registryLayout } from '../lookup/root.js';
import { httpsTarget } from '../endpoint.js';
import type { Session } from '../session.js';
import { transferAndWait } from '../transports/tasks.js';
import type { ReplicateOptions, ReplicateResult } from '../types.js';

export async function replicate(
  session: Session,
  sourceText: string,
  destinationText: string,
  opts: ReplicateOptions = {},
): Promise<ReplicateResult> {
  const signal = opts.signal;
  const { ref } = parseImageUri(sourceText, 'replicate globus://<endpoint>/<collection>/<name>[:<tag>]');
  const dest = parseGlobusUri(destinationText);
  if (dest.ref)
    throw new SregistryError(
      'INVALID_REFERENCE',
      `${destinationText.trim()} names an image: replicate to a registry, globus://<endpoint>; the image keeps its collection and name`,
    );

  const src = await locateImage(session, sourceText, signal);
  const chosen = chooseEntries(
    src.versions,
    ref,
    namesTag(sourceText),
    opts.tags,
    `${ref.collection}/${ref.name}`,
    src.ep.displayName,
  );

  const ep = await session.endpoint(dest.endpoint, signal);
  const location = await locateRoot(session, ep, true, signal, [ref.collection, ref.name]);
  if (ep.id === src.ep.id && location.root === src.root)
    throw new SregistryError(
      'INVALID_INPUT',
      'The source and the destination are the same registry: replicate to another collection',
    );
  const markerLayout = location.markerHidden
    ? undefined
    : await registryLayout(session, ep, location, transportFor(session, ep, opts.transport), signal);
  const folder = imageFolder(location.root, ref);
  session.step(`listing ${folder} on ${ep.displayName}`);
  const listed = await listFolder(session, ep.id, folder, signal);
  // A marker this client may not read (it may write only the collection's folder): the names there tell the layout.
  const layout: Layout = markerLayout ?? (await layoutFromFolders(session, ep, location.root, ref, listed, signal));
  if (layout !== 2)
    throw new SregistryError(
      'INVALID_INPUT',
      `The registry at ${location.root} on ${ep.displayName} uses layout ${layout}: replicate copies into layout-2 registries only`,
    );
  const there = readFolder(listed);
  const fileThere = new Map(there.files.map((f) => [f.name, f]));
  const manifestThere = new Set(there.manifests.map((m) => m.name));

  const target: PushTarget = {
    session,
    ep,
    backend: transfer,
    root: location.root,
    layout: 2,
    ref: { collection: ref.collection, name: ref.name, tag: ref.tag },
    file: '',
    size: 0,
    signal,
    label: `${ref.collection}/${ref.name}`,
    definition: undefined,
    labels: undefined,
    source: undefined,
    signatures: [],
  };
  const staging = new Staging(target);
  const srcPath = (file: string) => joinInsideRoot(src.root, ref.collection, ref.name, file);
  const dstPath = (file: string) => joinInsideRoot(location.root, ref.collection, ref.name, file);
  const versions = new Map<string, { name: string; size: number | undefined; hidden: string }>();
  const manifests: Array<{ name: string; hidden: string }> = [];
  for (const e of chosen) {
    const had = fileThere.get(e.imageName);
    if (had && e.size !== undefined && had.size !== undefined && had.size !== e.size) {
      throw new SregistryError(
        'CONFLICT',
        `${dstPath(e.imageName)} on ${ep.displayName} has ${had.size} bytes, not the ${e.size} of that version: it is damaged; delete it and replicate again`,
      );
    }
    if (!had && !versions.has(e.version))
      versions.set(e.version, { name: e.imageName, size: e.size, hidden: staging.hide('sha256') });
    if (!manifestThere.has(e.manifestName!)) manifests.push({ name: e.manifestName!, hidden: staging.hide(e.tag) });
  }
  const result: ReplicateResult = {
    source: formatGlobusUri({ endpoint: src.ep.id, ref: { collection: ref.collection, name: ref.name, tag: ref.tag } }),
    destination: formatGlobusUri({ endpoint: ep.id }),
    versionsCopied: versions.size,
    manifestsCopied: manifests.length,
    images: chosen.map((e) => {
      const path = dstPath(e.imageName);
      return {
        tag: e.tag,
        version: e.version,
        uri: formatGlobusUri({
          endpoint: ep.id,
          ref: { collection: ref.collection, name: ref.name, tag: e.tag, version: e.version },
        }),
        status: manifestThere.has(e.manifestName!) ? 'exists' : 'copied',
        path,
        ...(ep.httpsServer ? { httpsUrl: session.https.url(httpsTarget(ep), path) } : {}),
      };
    }),
  };
  if (versions.size === 0 && manifests.length === 0) {
    session.notice(`${target.label} on ${ep.displayName} has every chosen tag already: nothing copied`);
    return result;
  }

  const items = [
    ...[...versions.entries()].map(([version, v]) => ({
      source: srcPath(v.name),
      destination: v.hidden,
      sha256: version,
    })),
    ...manifests.map((m) => ({ source: srcPath(m.name), destination: m.hidden })),
    ...(location.missing ? [{ source: markerPath(src.root), destination: markerPath(location.root) }] : []),
  ];
  const total = [...versions.values()].reduce((n, v) => n + (v.size ?? 0), 0);
  try {
    session.step(
      `copying ${versions.size} version${versions.size === 1 ? '' : 's'} and ${manifests.length} manifest${manifests.length === 1 ? '' : 's'} to ${ep.displayName}`,
    );
    result.taskId = await transferAndWait(
      { session, ...(signal ? { signal } : {}), image: target.label, total },
      src.ep.id,
      ep.id,
      items,
      `sregistry replicate ${target.label}`,
    );
    for (const v of versions.values()) await staging.revealImage(v.hidden, dstPath(v.name), v.size);
    for (const m of manifests) await staging.revealManifest(m.hidden, dstPath(m.name));
  } catch (err) {
    await staging.abandon();
    throw err;
  }
  staging.finish();
  session.roots.set(ep.id, location.root);
  session.layouts.set(`${ep.id}:${location.root}`, 2);
  await staging.sweep([]);
  return result;
}

/** Whether the source URI itself names a tag (or version), rather than only the name. */
const namesTag = (text: string): boolean => /:[^/]*$|@/.test(text.trim().replace(/^globus:\/\/[^/]*\//i, ''));

/** The layout-2 entries to copy: the named tags (newest, or the pinned version), else every tag's newest. */
function chooseEntries(
  versions: readonly ImageVersionEntry[],
  ref: ImageRef,
  tagGiven: boolean,
  more: readonly string[] | undefined,
  shown: string,
  where: string,
): ImageVersionEntry[] {
  const v2 = versions.filter((v) => v.layout === 2);
  if (v2.length === 0 && versions.length > 0)
    throw new SregistryError(
      'INVALID_INPUT',
      `${shown} on ${where} is in layout 1: replicate copies layout-2 registries only`,
    );
  const extra = parseTags([...(more ?? [])]);
  const tags =
    tagGiven || extra.length > 0
      ? parseTags([...(tagGiven ? [ref.tag] : []), ...extra])
      : [...new Set(v2.map((v) => v.tag))].sort();
  const out: ImageVersionEntry[] = [];
  for (const tag of tags) {
    const pinned = tagGiven && tag === ref.tag && ref.version;
    const e = pinned
      ? v2.find((v) => v.tag === tag && v.version === ref.version && v.hasManifest)
      : newestVersion(v2, tag);
    if (!e)
      throw new SregistryError(
        'NOT_FOUND',
        `No ${pinned ? `version ${ref.version} of ` : ''}tag ${tag} of ${shown} on ${where} to replicate`,
      );
    out.push(e);
  }
  if (out.length === 0)
    throw new SregistryError('NOT_FOUND', `${shown} on ${where} has no complete version to replicate`);
  return out;
}
