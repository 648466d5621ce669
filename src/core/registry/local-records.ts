/** inspect and images: answers from the local records database, no network. */
import type { ContainerRecord, Records } from '../records.js';
import { isEndpointPath, isGlobusUri, parseImageUri, parseReference, type ImageRef } from '../uri.js';
import type { LocalImage } from './types.js';

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
  if (r.metrics !== undefined && r.metrics !== null && !(typeof r.metrics === 'object' && Object.keys(r.metrics).length === 0)) image.manifest = r.metrics;
  return image;
}

/** `[collection/]name[:tag][@version]`, a `globus://` image URI or `<endpoint>:<path>` of an image. */
export function localRef(text: string): ImageRef {
  if (isEndpointPath(text)) return parseImageUri(`globus://${text.trim()}`).ref;
  return isGlobusUri(text) ? parseImageUri(text).ref : parseReference(text);
}

export function inspectLocal(records: Records, text: string): LocalImage | undefined {
  const found = records.get(localRef(text));
  return found ? toLocalImage(found) : undefined;
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
