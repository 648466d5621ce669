import { createWriteStream } from 'node:fs';
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import { randomBytes, createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sendJson, type Exchange } from '../http.js';
import type { SandboxContext } from '../context.js';
import { SandboxError, badRequest } from '../errors.js';
import type { Switches } from '../behaviour.js';
import type { SandboxEndpoint } from '../model.js';
import { resolveEndpointPath } from '../paths.js';
import { authorizeCollectionRequest } from './authorize.js';
import { cutAfter } from './body-faults.js';
import { isADirectory, validators } from './file-info.js';
import { requestedPath } from './request-path.js';

/**
 * PUT: streams the body into a hidden temp file beside the target and renames it into
 * place once the whole body arrived. Whether GCS is atomic is unverified: with
 * https_put_cut 'partial' (the default) a cut body leaves the bytes received at the
 * target name, as a non-atomic server would; with 'nothing' the temp file is removed.
 * The parent folder must exist (https_put_missing_folder says how that is answered).
 * Answers 200 with `{path, size}` and the new file's ETag and Last-Modified.
 */
export async function upload(ctx: SandboxContext, endpoint: SandboxEndpoint, ex: Exchange): Promise<void> {
  const token = authorizeCollectionRequest(ctx, endpoint, ex);
  if (!token) return;
  const resolved = await resolveEndpointPath(endpoint, requestedPath(ex.req), token.clientId, 'write');
  const { diskPath, endpointPath } = resolved;
  if (endpointPath === '/') throw isADirectory(endpointPath);
  const expected = declaredLength(ex);
  const behaviour = ctx.world.behaviour;
  await requireFolder(dirname(diskPath), endpointPath, behaviour.https_put_missing_folder);
  const existing = await stat(diskPath).catch(() => undefined);
  if (existing?.isDirectory()) throw isADirectory(endpointPath);

  const temp = join(dirname(diskPath), tempName(basename(diskPath)));
  const stages: Transform[] = [];
  const fault = ex.fault;
  if (fault?.kind === 'reset' && fault.afterBytes !== undefined) {
    stages.push(cutAfter(fault.afterBytes, () => ex.req.socket.destroy()));
  }
  try {
    // A deep queue lets the stream gather the socket's 64 KiB pieces into large writev calls.
    const file = createWriteStream(temp, { flags: 'wx', highWaterMark: 4 * 1024 * 1024 });
    await pipeline([ex.req, ...stages, file]);
    const received = file.bytesWritten;
    if (expected !== undefined && received !== expected) {
      throw badRequest(`Received ${received} bytes but Content-Length said ${expected}`);
    }
    await rename(temp, diskPath);
  } catch (err) {
    // A non-atomic server leaves what it received at the target name (https_put_cut 'partial').
    if (behaviour.https_put_cut === 'partial')
      await rename(temp, diskPath).catch(() => unlink(temp).catch(() => undefined));
    else await unlink(temp).catch(() => undefined);
    throw err;
  }
  const stats = await stat(diskPath);
  sendJson(ex.res, 200, { path: endpointPath, size: stats.size }, validators(stats));
}

function declaredLength(ex: Exchange): number | undefined {
  const header = ex.req.headers['content-length'];
  if (header === undefined) return undefined;
  if (!/^\d+$/.test(header)) throw badRequest('Content-Length must be a number');
  return Number(header);
}

/** The target's folder must exist, unless the switch says the server makes it (how GCS answers is unverified). */
async function requireFolder(
  folder: string,
  endpointPath: string,
  missing: Switches['https_put_missing_folder'],
): Promise<void> {
  const stats = await stat(folder).catch(() => undefined);
  if (stats?.isDirectory()) return;
  if (missing === 'create' && stats === undefined) {
    await mkdir(folder, { recursive: true });
    return;
  }
  if (missing === '404')
    throw new SandboxError(
      404,
      'ClientError.NotFound',
      `The folder of ${endpointPath} does not exist; create it first`,
    );
  throw new SandboxError(409, 'ClientError.Conflict', `The folder of ${endpointPath} does not exist; create it first`);
}

/** `.<name>.put-<random>`, shortened so it stays within a file name's 255 bytes. */
function tempName(name: string): string {
  const stem = Buffer.byteLength(name) <= 200 ? name : createHash('sha256').update(name).digest('hex').slice(0, 32);
  return `.${stem}.put-${randomBytes(8).toString('hex')}`;
}
