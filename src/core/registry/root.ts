/**
 * Finding the registry root on an endpoint. Given a root, its marker is looked up there;
 * without one, the marker is looked up at each SNIFF_ROOTS entry in order and the first
 * found wins. Only a stat is made per candidate. The marker's content (the layout) is read
 * only by operations that write (push, replicate), once per Registry and endpoint: readers
 * understand both layouts from the file names alone.
 */
import { SregistryError, isSregistryError } from '../errors.js';
import { DEFAULT_ROOT, LAYOUT_VERSION, SNIFF_ROOTS, joinInsideRoot, markerPath, normaliseRoot, parseMarker, type Layout } from '../layout.js';
import { readSmallText } from './manifest-io.js';
import type { EndpointInfo, Session } from './session.js';
import type { Transport } from './types.js';

/** Most bytes a `.sregistry` marker may have (ours are a few hundred). */
export const MAX_MARKER_BYTES = 64 * 1024;

export interface RootLocation {
  root: string;
  /** No marker exists yet: the caller (a push) creates the root and writes the marker. */
  missing: boolean;
}

/** Answers that mean "no marker here" while sniffing: missing, or not ours to read. */
function notHere(err: unknown): boolean {
  return isSregistryError(err) && (err.code === 'NOT_FOUND' || err.code === 'PERMISSION_DENIED');
}

async function hasMarker(session: Session, ep: EndpointInfo, root: string, signal: AbortSignal | undefined, sniffing: boolean, within?: readonly string[]): Promise<boolean> {
  try {
    const entry = await session.transfer.stat(ep.id, markerPath(root), signal ? { signal } : {});
    if (entry?.size !== undefined) session.listedSizes.set(`${ep.id}:${markerPath(root)}`, entry.size);
    return entry !== undefined && (entry.type === undefined || entry.type === 'file');
  } catch (err) {
    if (within?.length && isSregistryError(err) && err.code === 'PERMISSION_DENIED') return hasFolder(session, ep, joinInsideRoot(root, ...within), signal);
    if (sniffing && notHere(err)) return false;
    throw err;
  }
}

/**
 * A client granted only a collection or a name of the registry (an access rule below the
 * root) may not read the marker above it; the folder it was granted then tells the root.
 */
async function hasFolder(session: Session, ep: EndpointInfo, path: string, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    const entry = await session.transfer.stat(ep.id, path, signal ? { signal } : {});
    return entry?.type === 'dir';
  } catch (err) {
    if (notHere(err)) return false;
    throw err;
  }
}

/**
 * The registry root of `ep`. With `forPush`, a missing registry is not an error: the
 * answer says where to create it (the given root, else DEFAULT_ROOT). `within` (a
 * collection, or a collection and a name) is the folder a reader wants: where the marker
 * is not readable to it, a root holding that folder is taken.
 */
export async function locateRoot(session: Session, ep: EndpointInfo, forPush: boolean, signal?: AbortSignal, within?: readonly string[]): Promise<RootLocation> {
  const known = session.roots.get(ep.id);
  if (known) return { root: known, missing: false };
  const given = session.options.root;
  if (given !== undefined) {
    const root = normaliseRoot(given);
    session.step(`looking for the registry at ${root}`);
    if (await hasMarker(session, ep, root, signal, false, within)) {
      session.roots.set(ep.id, root);
      return { root, missing: false };
    }
    if (forPush) return { root, missing: true };
    throw noRegistry(ep, `at ${root}`);
  }
  session.step('looking for the registry root');
  for (const candidate of SNIFF_ROOTS) {
    if (await hasMarker(session, ep, candidate, signal, true, within)) {
      session.roots.set(ep.id, candidate);
      return { root: candidate, missing: false };
    }
  }
  if (forPush) return { root: DEFAULT_ROOT, missing: true };
  throw noRegistry(ep, `at any of ${SNIFF_ROOTS.join(', ')}`);
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
 * GET, or one small task over Transfer), cached for the Registry's life.
 */
export async function registryLayout(session: Session, ep: EndpointInfo, location: RootLocation, transport: Transport, signal?: AbortSignal): Promise<Layout> {
  if (location.missing) return LAYOUT_VERSION as Layout;
  const key = `${ep.id}:${location.root}`;
  const known = session.layouts.get(key);
  if (known) return known;
  session.step(`reading the registry marker at ${location.root}`);
  const path = markerPath(location.root);
  const { layout } = parseMarker(await readSmallText(session, ep, path, transport, MAX_MARKER_BYTES, signal, session.listedSizes.get(`${ep.id}:${path}`)));
  session.layouts.set(key, layout);
  return layout;
}
