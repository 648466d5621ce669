/** Resolving a `globus://` image URI to one complete version in the registry. */
import { SregistryError } from '../../errors.js';
import { imageFolder, joinInsideRoot } from '../../layout.js';
import { indexListing, newestNaming, newestVersion, type ImageVersionEntry, type Listing } from '../../versions.js';
import { DEFAULT_TAG, parseImageUri, type ImageRef, type VersionedRef } from '../../uri.js';
import { listFolder } from './listing.js';
import { locateRoot } from './root.js';
import type { EndpointInfo } from '../endpoint.js';
import type { Session } from '../session.js';

export interface Located {
  ep: EndpointInfo;
  root: string;
  ref: ImageRef;
  folder: string;
  entries: Listing;
  versions: ImageVersionEntry[];
}

export interface Resolved extends Located {
  chosen: ImageVersionEntry;
  vref: VersionedRef;
  /** Size of the manifest file, from the listing. */
  manifestSize?: number;
  /** Endpoint paths of the chosen image file and of the manifest that names it (either layout). */
  imagePath: string;
  manifestPath: string;
}

/** Endpoint, root and the image folder's listing (one ls). A missing folder is NOT_FOUND. */
export async function locateImage(session: Session, text: string, signal?: AbortSignal): Promise<Located> {
  const { endpoint, ref } = parseImageUri(text);
  const ep = await session.endpoint(endpoint, signal);
  const { root } = await locateRoot(session, ep, false, signal, [ref.collection, ref.name]);
  const folder = imageFolder(root, ref);
  session.step(`listing ${folder}`);
  const entries = await listFolder(session, ep.id, folder, signal, () => {
    throw new SregistryError(
      'NOT_FOUND',
      `No image ${ref.collection}/${ref.name} in the registry at ${root} on ${ep.displayName}: check the name, or search the registry`,
    );
  });
  return { ep, root, ref, folder, entries, versions: indexListing(entries) };
}

/** Names the tags that do exist, for NOT_FOUND messages. */
function existingTags(versions: ImageVersionEntry[]): string {
  const tags = [...new Set(versions.filter((v) => v.hasManifest).map((v) => v.tag))].sort();
  return tags.length ? `existing tags: ${tags.join(', ')}` : 'it has no complete versions';
}

/**
 * The newest complete version of the tag, or the pinned version. A version under the
 * default tag (`name@<version>`, also what a registry path to a version file reads as)
 * that `latest` does not name is taken under the newest tag that does.
 */
export function chooseVersion(located: Located): Resolved {
  const { ref, versions, ep } = located;
  const shown = `${ref.collection}/${ref.name}:${ref.tag}`;
  let chosen: ImageVersionEntry | undefined;
  if (ref.version) {
    chosen = versions.find((v) => v.tag === ref.tag && v.version === ref.version && v.hasManifest);
    if (!chosen && ref.tag === DEFAULT_TAG) chosen = newestNaming(versions, ref.version);
    if (!chosen)
      throw new SregistryError(
        'NOT_FOUND',
        `No version ${ref.version} of ${shown} on ${ep.displayName} (${existingTags(versions)})`,
      );
  } else {
    chosen = newestVersion(versions, ref.tag);
    if (!chosen)
      throw new SregistryError(
        'NOT_FOUND',
        `No tag ${ref.tag} of ${ref.collection}/${ref.name} on ${ep.displayName} (${existingTags(versions)})`,
      );
  }
  const vref: VersionedRef = { collection: ref.collection, name: ref.name, tag: chosen.tag, version: chosen.version };
  const { collection, name } = ref;
  const imagePath = joinInsideRoot(located.root, collection, name, chosen.imageName);
  const manifestPath = joinInsideRoot(located.root, collection, name, chosen.manifestName!);
  const manifestSize = chosen.manifestSize;
  return { ...located, chosen, vref, imagePath, manifestPath, ...(manifestSize !== undefined ? { manifestSize } : {}) };
}

export async function resolveImage(session: Session, text: string, signal?: AbortSignal): Promise<Resolved> {
  return chooseVersion(await locateImage(session, text, signal));
}
