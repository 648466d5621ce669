/**
 * Reading and writing manifests on the remote. Reading over HTTPS downloads the (bounded)
 * manifest into a temp file in the storage folder and parses it; over Transfer the
 * manifest travels in a task into the storage folder, which the local endpoint reaches.
 * Writing goes to a hidden name first and becomes visible by rename.
 */
import { readFile, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { SregistryError } from '../errors.js';
import { MAX_MANIFEST_BYTES, parseManifest, type Manifest } from '../manifest.js';
import { createTempFile, discardTemp } from '../storage.js';
import type { VersionedRef } from '../uri.js';
import { toEndpointPath } from './endpoint-paths.js';
import { transferAndWait } from './tasks.js';
import { httpsTarget, type EndpointInfo, type Session } from './session.js';
import { stat as transferStat } from '../transfer/index.js';

export async function readLocalManifest(file: string, expected: VersionedRef): Promise<Manifest> {
  let text: string;
  try {
    // A Transfer task may have brought more than the listing said: look before reading it into memory.
    if ((await stat(file)).size > MAX_MANIFEST_BYTES) throw new SregistryError('INVALID_RESPONSE', `The manifest of ${expected.collection}/${expected.name}:${expected.tag} is larger than ${MAX_MANIFEST_BYTES} bytes; re-push the image`);
    const bytes = await readFile(file);
    if (bytes.length > MAX_MANIFEST_BYTES) throw new SregistryError('INVALID_RESPONSE', `The manifest of ${expected.collection}/${expected.name}:${expected.tag} is larger than ${MAX_MANIFEST_BYTES} bytes; re-push the image`);
    text = bytes.toString('utf8');
  } catch (err) {
    if (err instanceof SregistryError) throw err;
    throw new SregistryError('LOCAL_IO', `Reading the downloaded manifest ${file} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return parseManifest(text, expected);
}

export function checkManifestListedSize(size: number | undefined, ref: VersionedRef): void {
  if (size !== undefined && size > MAX_MANIFEST_BYTES) {
    throw new SregistryError('INVALID_RESPONSE', `The manifest of ${ref.collection}/${ref.name}:${ref.tag}@${ref.version} has ${size} bytes, more than a manifest can have (${MAX_MANIFEST_BYTES}); re-push the image`);
  }
}

/** One GET of the manifest over the collection's HTTPS server. */
export async function readManifestHttps(
  session: Session,
  ep: EndpointInfo,
  remotePath: string,
  ref: VersionedRef,
  size: number | undefined,
  signal?: AbortSignal,
): Promise<Manifest> {
  checkManifestListedSize(size, ref);
  const temp = await createTempFile(session.options.storage);
  try {
    await session.https.download(httpsTarget(ep), remotePath, temp, {
      ...(size !== undefined ? { expectedSize: size } : { maxBytes: MAX_MANIFEST_BYTES }),
      ...(signal ? { signal } : {}),
    });
    return await readLocalManifest(temp, ref);
  } finally {
    await discardTemp(temp).catch(() => undefined);
  }
}

/** One Transfer task bringing the manifest into the storage folder. */
export async function readManifestTransfer(
  session: Session,
  ep: EndpointInfo,
  remotePath: string,
  ref: VersionedRef,
  size: number | undefined,
  signal?: AbortSignal,
): Promise<{ manifest: Manifest; taskId: string }> {
  checkManifestListedSize(size, ref);
  const local = localEndpoint(session);
  const temp = await createTempFile(session.options.storage);
  try {
    const taskId = await transferAndWait(
      { session, ...(signal ? { signal } : {}), image: `${ref.collection}/${ref.name}:${ref.tag}` },
      ep.id,
      local,
      [{ source: remotePath, destination: toEndpointPath(temp, session.options.localPathMap) }],
      `sregistry manifest ${ref.collection}/${ref.name}:${ref.tag}`,
    );
    return { manifest: await readLocalManifest(temp, ref), taskId };
  } finally {
    await discardTemp(temp).catch(() => undefined);
  }
}

/**
 * A small remote file's text (the marker), over HTTPS or by one Transfer task into the
 * storage folder; at most `maxBytes`. A listed size over the bound (`listedSize`, else one
 * stat) is refused before anything is downloaded; over HTTPS the body stops at the bound.
 */
export async function readSmallText(
  session: Session,
  ep: EndpointInfo,
  path: string,
  transport: 'https' | 'transfer',
  maxBytes: number,
  signal?: AbortSignal,
  listedSize?: number,
): Promise<string> {
  const tooLarge = (size: number | string): SregistryError =>
    new SregistryError('INVALID_RESPONSE', `${path} on ${ep.displayName} has ${size} bytes, more than the ${maxBytes} it may have: it is not what sregistry-globus wrote there`);
  const size = listedSize ?? (await transferStat(session.transfer, ep.id, path, signal ? { signal } : {}))?.size;
  if (size !== undefined && size > maxBytes) throw tooLarge(size);
  const temp = await createTempFile(session.options.storage);
  try {
    if (transport === 'https') {
      await session.https.download(httpsTarget(ep), path, temp, { maxBytes, ...(signal ? { signal } : {}) });
    } else {
      await transferAndWait(
        { session, ...(signal ? { signal } : {}), image: path },
        ep.id,
        localEndpoint(session),
        [{ source: path, destination: toEndpointPath(temp, session.options.localPathMap) }],
        'sregistry read marker',
      );
    }
    const brought = (await stat(temp)).size;
    if (brought > maxBytes) throw tooLarge(brought);
    const bytes = await readFile(temp);
    return bytes.toString('utf8');
  } finally {
    await discardTemp(temp).catch(() => undefined);
  }
}

export function localEndpoint(session: Session): string {
  const id = session.options.localEndpoint;
  if (!id) {
    throw new SregistryError('INVALID_INPUT', 'The transfer transport needs a local Globus endpoint: set SREGISTRY_GLOBUS_LOCAL_ENDPOINT (the localEndpoint option)');
  }
  return id;
}

/** PUTs `text` to `path` over HTTPS; answers how many attempts it took. */
export async function putText(session: Session, ep: EndpointInfo, path: string, text: string, signal?: AbortSignal): Promise<number> {
  const bytes = Buffer.from(text, 'utf8');
  return (await session.https.upload(httpsTarget(ep), path, { stream: () => Readable.from([bytes]), size: bytes.length }, signal ? { signal } : {})).attempts;
}
