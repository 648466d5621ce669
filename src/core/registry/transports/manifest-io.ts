/**
 * Reading manifests and other small files of the remote: a transport brings the (bounded)
 * file into a temp file in the storage folder (over Transfer, a task to the local endpoint,
 * which reaches that folder), where it is checked and parsed.
 */
import { readFile, stat } from 'node:fs/promises';
import { SregistryError } from '../../errors.js';
import { MAX_MANIFEST_BYTES, parseManifest, type Manifest } from '../../manifest.js';
import { createTempFile, discardTemp } from '../../storage.js';
import type { VersionedRef } from '../../uri.js';
import type { EndpointInfo } from '../endpoint.js';
import type { TransportBackend } from './backend.js';
import { https } from './https/index.js';
import type { Session } from '../session.js';
import { stat as transferStat } from '../../transfer/index.js';

export async function readLocalManifest(file: string, expected: VersionedRef): Promise<Manifest> {
  let text: string;
  try {
    // A Transfer task may have brought more than the listing said: look before reading it into memory.
    if ((await stat(file)).size > MAX_MANIFEST_BYTES)
      throw new SregistryError(
        'INVALID_RESPONSE',
        `The manifest of ${expected.collection}/${expected.name}:${expected.tag} is larger than ${MAX_MANIFEST_BYTES} bytes; re-push the image`,
      );
    const bytes = await readFile(file);
    if (bytes.length > MAX_MANIFEST_BYTES)
      throw new SregistryError(
        'INVALID_RESPONSE',
        `The manifest of ${expected.collection}/${expected.name}:${expected.tag} is larger than ${MAX_MANIFEST_BYTES} bytes; re-push the image`,
      );
    text = bytes.toString('utf8');
  } catch (err) {
    if (err instanceof SregistryError) throw err;
    throw new SregistryError(
      'LOCAL_IO',
      `Reading the downloaded manifest ${file} failed: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  return parseManifest(text, expected);
}

export function checkManifestListedSize(size: number | undefined, ref: VersionedRef): void {
  if (size !== undefined && size > MAX_MANIFEST_BYTES) {
    throw new SregistryError(
      'INVALID_RESPONSE',
      `The manifest of ${ref.collection}/${ref.name}:${ref.tag}@${ref.version} has ${size} bytes, more than a manifest can have (${MAX_MANIFEST_BYTES}); re-push the image`,
    );
  }
}

/**
 * The manifest at `remotePath`, brought by `backend` into a temp file in the storage folder
 * (bounded by its listed size, else by what a manifest may have) and parsed.
 */
export async function readManifest(
  session: Session,
  backend: TransportBackend,
  ep: EndpointInfo,
  remotePath: string,
  ref: VersionedRef,
  size: number | undefined,
  signal?: AbortSignal,
): Promise<{ manifest: Manifest; taskId?: string }> {
  checkManifestListedSize(size, ref);
  const temp = await createTempFile(session.options.storage);
  try {
    const shown = `${ref.collection}/${ref.name}:${ref.tag}`;
    const got = await backend.get({ session, ep, signal, image: shown, label: `sregistry manifest ${shown}` }, [
      {
        from: remotePath,
        to: temp,
        ...(size !== undefined ? { expectedSize: size } : { maxBytes: MAX_MANIFEST_BYTES }),
      },
    ]);
    return { manifest: await readLocalManifest(temp, ref), ...(got.taskId ? { taskId: got.taskId } : {}) };
  } finally {
    await discardTemp(temp).catch(() => undefined);
  }
}

/** One GET of the manifest over the collection's HTTPS server, whatever the operation's transport (search's signers). */
export async function readManifestHttps(
  session: Session,
  ep: EndpointInfo,
  remotePath: string,
  ref: VersionedRef,
  size: number | undefined,
  signal?: AbortSignal,
): Promise<Manifest> {
  return (await readManifest(session, https, ep, remotePath, ref, size, signal)).manifest;
}

/**
 * A small remote file's text (the marker), brought by `backend` into the storage folder;
 * at most `maxBytes`. A listed size over the bound (`listedSize`, else one stat) is refused
 * before anything is downloaded; a backend that reads the body stops it at the bound.
 */
export async function readSmallText(
  session: Session,
  ep: EndpointInfo,
  path: string,
  backend: TransportBackend,
  maxBytes: number,
  signal?: AbortSignal,
  listedSize?: number,
): Promise<string> {
  const tooLarge = (size: number | string): SregistryError =>
    new SregistryError(
      'INVALID_RESPONSE',
      `${path} on ${ep.displayName} has ${size} bytes, more than the ${maxBytes} it may have: it is not what sregistry-globus wrote there`,
    );
  const size = listedSize ?? (await transferStat(session.transfer, ep.id, path, signal ? { signal } : {}))?.size;
  if (size !== undefined && size > maxBytes) throw tooLarge(size);
  const temp = await createTempFile(session.options.storage);
  try {
    await backend.get({ session, ep, signal, image: path, label: 'sregistry read marker' }, [
      { from: path, to: temp, maxBytes },
    ]);
    const brought = (await stat(temp)).size;
    if (brought > maxBytes) throw tooLarge(brought);
    const bytes = await readFile(temp);
    return bytes.toString('utf8');
  } finally {
    await discardTemp(temp).catch(() => undefined);
  }
}
