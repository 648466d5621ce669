/**
 * Finding the registry root on an endpoint. Given a root, its marker is looked up there;
 * without one, the marker is looked up at each SNIFF_ROOTS entry in order and the first
 * found wins. Only a stat is made per candidate. The marker's content (the layout) is read
 * only by operations that write (push, replicate), once per Registry and endpoint: readers
 * understand both layouts from the file names alone.
 */
import { SregistryError, isSregistryError } from '../../errors.js';
import {
  DEFAULT_ROOT,
  LAYOUT_VERSION,
  SNIFF_ROOTS,
  collectionFolder,
  imageFolder,
  joinInsideRoot,
  markerPath,
  normaliseRoot,
  parseMarker,
  type Layout,
} from '../../layout.js';
import { isValidName } from '../../uri.js';
import { readFolder, type ListingEntry } from '../../versions.js';
import { listFolder } from './listing.js';
import { readSmallText } from '../transports/manifest-io.js';
import type { EndpointInfo } from '../endpoint.js';
import type { Session } from '../session.js';
import type { TransportBackend } from '../transports/backend.js';
import { stat } from '../../transfer/index.js';

/** Most bytes a `.sregistry` marker may have (ours are a few hundred). */
export const MAX_MARKER_BYTES = 64 * 1024;

export interface RootLocation {
  root: string;
  /** No marker exists yet: the caller (a push) creates the root and writes the marker. */
  missing: boolean;
  /**
   * The marker is there but not readable to this client (its access rule covers only a
   * folder below the root): the layout must come from what that folder holds.
   */
  markerHidden?: true;
}

type Found = 'found' | 'hidden' | 'absent' | 'denied';

/** Answers that mean "no marker here" while sniffing: missing, or not ours to read. */
function notHere(err: unknown): boolean {
  return isSregistryError(err) && (err.code === 'NOT_FOUND' || err.code === 'PERMISSION_DENIED');
}

async function hasMarker(
  session: Session,
  ep: EndpointInfo,
  root: string,
  signal: AbortSignal | undefined,
  sniffing: boolean,
  within?: readonly string[],
  forPush = false,
): Promise<Found> {
  try {
    const entry = await stat(session.transfer, ep.id, markerPath(root), signal ? { signal } : {});
    if (entry?.size !== undefined) session.listedSizes.set(`${ep.id}:${markerPath(root)}`, entry.size);
    return entry !== undefined && (entry.type === undefined || entry.type === 'file') ? 'found' : 'absent';
  } catch (err) {
    const denied = isSregistryError(err) && err.code === 'PERMISSION_DENIED';
    if (denied && within?.length) {
      // Deepest first: a rule on a name folder may not show its collection folder.
      for (let depth = within.length; depth > 0; depth--) {
        if (await hasFolder(session, ep, joinInsideRoot(root, ...within.slice(0, depth)), signal)) return 'hidden';
      }
    }
    if (denied && (sniffing || forPush)) return 'denied';
    if (sniffing && notHere(err)) return 'absent';
    throw err;
  }
}

/**
 * A client granted only a collection or a name of the registry (an access rule below the
 * root) may not read the marker above it; the folder it was granted then tells the root.
 */
async function hasFolder(
  session: Session,
  ep: EndpointInfo,
  path: string,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  try {
    const entry = await stat(session.transfer, ep.id, path, signal ? { signal } : {});
    return entry?.type === 'dir';
  } catch (err) {
    if (notHere(err)) return false;
    throw err;
  }
}

/**
 * The registry root of `ep`. With `forPush`, a missing registry is not an error: the
 * answer says where to create it (the given root, else DEFAULT_ROOT). `within` (a
 * collection, or a collection and a name) is the folder the caller works in: where the
 * marker is not readable to it, a root holding that folder is taken (`markerHidden`).
 * A root counts as missing only when no marker was seen and none was hidden from the
 * client: a push never creates a registry over one it may not read.
 */
export async function locateRoot(
  session: Session,
  ep: EndpointInfo,
  forPush: boolean,
  signal?: AbortSignal,
  within?: readonly string[],
): Promise<RootLocation> {
  const known = session.roots.get(ep.id);
  if (known)
    return {
      root: known,
      missing: false,
      ...(session.hiddenMarkers.has(ep.id) ? { markerHidden: true as const } : {}),
    };
  const found = (root: string, how: Found): RootLocation => {
    session.roots.set(ep.id, root);
    if (how === 'hidden') session.hiddenMarkers.add(ep.id);
    return { root, missing: false, ...(how === 'hidden' ? { markerHidden: true as const } : {}) };
  };
  const given = session.options.root;
  if (given !== undefined) {
    const root = normaliseRoot(given);
    session.step(`looking for the registry at ${root}`);
    const how = await hasMarker(session, ep, root, signal, false, within, forPush);
    if (how === 'found' || how === 'hidden') return found(root, how);
    if (how === 'denied') throw markerDenied(ep, root, within);
    if (forPush) return { root, missing: true };
    throw noRegistry(ep, `at ${root}`);
  }
  session.step('looking for the registry root');
  let denied: string | undefined;
  for (const candidate of SNIFF_ROOTS) {
    const how = await hasMarker(session, ep, candidate, signal, true, within);
    if (how === 'found' || how === 'hidden') return found(candidate, how);
    if (how === 'denied') denied ??= candidate;
  }
  if (forPush && denied !== undefined) throw markerDenied(ep, denied, within);
  if (forPush) return { root: DEFAULT_ROOT, missing: true };
  throw noRegistry(ep, `at any of ${SNIFF_ROOTS.join(', ')}`);
}

/** A push that cannot tell whether a registry is there must not create one. */
function markerDenied(ep: EndpointInfo, root: string, within: readonly string[] | undefined): SregistryError {
  const folder = within?.length ? ` nor ${joinInsideRoot(root, ...within)}/` : '';
  return new SregistryError(
    'PERMISSION_DENIED',
    `This client may not read the registry marker ${markerPath(root)}${folder} on ${ep.displayName} (${ep.id}): ask its owner for a rule on the registry root or on the collection folder you push to (\`access grant\`)`,
  );
}

function noRegistry(ep: EndpointInfo, where: string): SregistryError {
  return new SregistryError(
    'NO_REGISTRY',
    `No registry on ${ep.displayName} (${ep.id}) ${where}: push an image to create one, or set SREGISTRY_GLOBUS_ROOT to the folder holding its .sregistry marker`,
  );
}

/**
 * The layout of the registry at `location` on `ep`: what a push writes. A registry this
 * call will create gets the current layout; an existing one is read from its marker (one
 * small read by the operation's transport), cached for the Registry's life.
 */
export async function registryLayout(
  session: Session,
  ep: EndpointInfo,
  location: RootLocation,
  backend: TransportBackend,
  signal?: AbortSignal,
): Promise<Layout> {
  if (location.missing) return LAYOUT_VERSION as Layout;
  const key = `${ep.id}:${location.root}`;
  const known = session.layouts.get(key);
  if (known) return known;
  session.step(`reading the registry marker at ${location.root}`);
  const path = markerPath(location.root);
  const { layout } = parseMarker(
    await readSmallText(
      session,
      ep,
      path,
      backend,
      MAX_MARKER_BYTES,
      signal,
      session.listedSizes.get(`${ep.id}:${path}`),
    ),
  );
  session.layouts.set(key, layout);
  return layout;
}

/** How many other image folders of the collection are looked at for the layout, at most. */
const LAYOUT_PROBES = 8;

/**
 * The layout of a registry whose marker this client may not read, from the file names it
 * holds: the image folder's own listing first, then the collection's other image folders.
 * Layout-2 names anywhere mean layout 2 (a layout-1 registry never gets them). Refused
 * when nothing there tells: guessing could put the wrong names in an older registry.
 */
export async function layoutFromFolders(
  session: Session,
  ep: EndpointInfo,
  root: string,
  ref: { collection: string; name: string },
  entries: readonly ListingEntry[] | undefined,
  signal?: AbortSignal,
): Promise<Layout> {
  const key = `${ep.id}:${root}`;
  const known = session.layouts.get(key);
  if (known) return known;
  const told = (list: readonly ListingEntry[]): Layout | undefined => {
    const index = readFolder(list);
    const layouts = new Set([...index.files, ...index.manifests].map((e) => e.layout));
    return layouts.has(2) ? 2 : layouts.has(1) ? 1 : undefined;
  };
  let layout = entries ? told(entries) : undefined;
  if (layout === undefined) {
    session.step(`reading the layout from ${collectionFolder(root, ref.collection)}`);
    const names = (await listFolder(session, ep.id, collectionFolder(root, ref.collection), signal, () => []))
      .filter((e) => e.type === 'dir' && e.name !== ref.name && isValidName(e.name))
      .map((e) => e.name)
      .slice(0, LAYOUT_PROBES);
    for (const name of names) {
      layout = told(
        await listFolder(session, ep.id, imageFolder(root, { collection: ref.collection, name }), signal, () => []),
      );
      if (layout !== undefined) break;
    }
  }
  if (layout === undefined) {
    throw new SregistryError(
      'PERMISSION_DENIED',
      `This client may not read the registry marker ${markerPath(root)} on ${ep.displayName} (${ep.id}) and no image in ${collectionFolder(root, ref.collection)} shows the registry's layout: ask its owner for read on the registry root, or to push the first image of this collection`,
    );
  }
  session.layouts.set(key, layout);
  return layout;
}
