/** inspect and images: answers from the local records database, no network. */
import { SregistryError } from '../../errors.js';
import type { ContainerRecord, Records } from '../../records.js';
import {
  formatReference,
  isEndpointPath,
  isGlobusUri,
  parseImageUri,
  parseReference,
  type ImageRef,
} from '../../uri.js';
import type { LocalImage } from '../types.js';

export function toLocalImage(r: ContainerRecord): LocalImage {
  const image: LocalImage = {
    uri: r.uri,
    collection: r.collection,
    name: r.name,
    tag: r.tag,
    version: r.version,
    image: r.image,
    url: r.url,
    createdAt: r.createdAt,
  };
  if (
    r.metrics !== undefined &&
    r.metrics !== null &&
    !(typeof r.metrics === 'object' && Object.keys(r.metrics).length === 0)
  )
    image.manifest = r.metrics;
  return image;
}

/** `[collection/]name[:tag][@version]`, a `globus://` image URI or `<endpoint>:<path>` of an image. */
export function localRef(text: string): ImageRef {
  if (isEndpointPath(text)) return parseImageUri(`globus://${text.trim()}`).ref;
  return isGlobusUri(text) ? parseImageUri(text).ref : parseReference(text);
}

/** Which parts a plain reference spells out; a URI or endpoint path names its image whole. */
function written(text: string): { collection: boolean; tag: boolean } {
  if (isGlobusUri(text) || isEndpointPath(text)) return { collection: true, tag: true };
  const bare = text.trim().split('@')[0] ?? '';
  return { collection: bare.includes('/'), tag: bare.includes(':') };
}

/**
 * The newest local record of a reference. What the text leaves out is filled in as
 * everywhere (`library`, `latest`); when no record has that, a reference without a tag
 * (or without a collection) stands for the one local image that fits what it does say:
 * `get lab/app` after pulling only `lab/app:v1` is that. Several fitting images are an
 * AMBIGUOUS error listing them; none is undefined.
 */
export function inspectLocal(records: Records, text: string): LocalImage | undefined {
  const ref = localRef(text);
  const exact = records.get(ref);
  if (exact) return toLocalImage(exact);
  const given = written(text);
  if (given.collection && given.tag) return undefined;
  const fits = records
    .list(ref.name)
    .filter(
      (r) =>
        r.name === ref.name &&
        (!given.collection || r.collection === ref.collection) &&
        (!given.tag || r.tag === ref.tag),
    )
    .filter((r) => ref.version === undefined || r.version === ref.version)
    .sort(newestFirst);
  const images = [...new Set(fits.map((r) => `${r.collection}/${r.name}:${r.tag}`))];
  if (images.length <= 1) return fits[0] ? toLocalImage(fits[0]) : undefined;
  const shown = images.slice(0, 10).join(', ') + (images.length > 10 ? `, and ${images.length - 10} more` : '');
  throw new SregistryError(
    'AMBIGUOUS',
    `No local record of ${formatReference(ref)}, and ${text.trim()} fits ${images.length} local images: ${shown}; name one of them, e.g. ${images[0]}`,
  );
}

const newestFirst = (a: ContainerRecord, b: ContainerRecord): number => {
  const ta = a.createdAt ?? '';
  const tb = b.createdAt ?? '';
  if (ta !== tb) return ta < tb ? 1 : -1;
  return b.id - a.id;
};

/** Every record whose `collection/name:tag` contains `query` (all without one), newest first. */
export function listLocal(records: Records, query?: string): LocalImage[] {
  const q = query?.trim().toLowerCase();
  return records
    .list(q === '' ? undefined : q)
    .sort(newestFirst)
    .map(toLocalImage);
}
