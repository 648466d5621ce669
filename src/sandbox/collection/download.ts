import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Exchange } from '../http.js';
import type { SandboxContext } from '../context.js';
import { SandboxError } from '../errors.js';
import type { SandboxEndpoint } from '../model.js';
import { resolveEndpointPath } from '../paths.js';
import { authorizeCollectionRequest } from './authorize.js';
import { flipByteAt, writeFlushed } from './body-faults.js';
import { regularFile, validators, weakEtag } from './file-info.js';
import { parseRange } from './range.js';
import { requestedPath } from './request-path.js';

/**
 * GET and HEAD: streams a file, whole or one byte range. `If-Range` with a stale ETag
 * turns a range request into a whole-file answer.
 */
export async function download(ctx: SandboxContext, endpoint: SandboxEndpoint, ex: Exchange): Promise<void> {
  const token = authorizeCollectionRequest(ctx, endpoint, ex);
  if (!token) return;
  const resolved = await resolveEndpointPath(endpoint, requestedPath(ex.req), token.clientId, 'read');
  const stats = await regularFile(resolved.diskPath, resolved.endpointPath);
  const size = stats.size;
  const ifRange = ex.req.headers['if-range'];
  const range =
    ifRange !== undefined && ifRange !== weakEtag(stats) && ifRange !== stats.mtime.toUTCString()
      ? ({ kind: 'whole' } as const)
      : parseRange(ex.req.headers.range, size);
  if (range.kind === 'unsatisfiable') {
    throw new SandboxError(
      416,
      'ClientError.RangeNotSatisfiable',
      `Requested range is outside the file's ${size} bytes`,
      {},
      { 'content-range': `bytes */${size}` },
    );
  }
  const start = range.kind === 'partial' ? range.start : 0;
  const end = range.kind === 'partial' ? range.end : size - 1;
  const length = end - start + 1;
  const headers: Record<string, string | number> = {
    'content-type': 'application/octet-stream',
    'content-length': length,
    'accept-ranges': 'bytes',
    ...validators(stats),
  };
  if (range.kind === 'partial') headers['content-range'] = `bytes ${start}-${end}/${size}`;
  ex.res.writeHead(range.kind === 'partial' ? 206 : 200, headers);
  if (ex.req.method === 'HEAD' || length === 0) {
    ex.res.end();
    return;
  }
  await sendBody(ex, resolved.diskPath, start, end);
}

/**
 * Bytes read from disk at a time. Node's 64 KiB default makes the sandbox, not the client
 * under test, the slow end of a gigabyte; a GCS server streams far larger pieces.
 */
const READ_CHUNK = 1024 * 1024;

/** The body, with the body-level fault of this request applied if there is one. */
async function sendBody(ex: Exchange, diskPath: string, start: number, end: number): Promise<void> {
  const fault = ex.fault;
  if (fault?.kind === 'reset' && fault.afterBytes !== undefined) {
    const last = Math.min(end, start + fault.afterBytes - 1);
    if (last >= start)
      await writeFlushed(ex.res, createReadStream(diskPath, { start, end: last, highWaterMark: READ_CHUNK }));
    ex.res.socket?.destroy();
    return;
  }
  const file: Readable = createReadStream(diskPath, { start, end, highWaterMark: READ_CHUNK });
  if (fault?.kind === 'corrupt') {
    // An explicit offset counts from the start of the file and only fires if the range
    // covers it; without one, the middle of whatever is sent is flipped.
    const index = fault.offset !== undefined ? fault.offset - start : Math.floor((end - start + 1) / 2);
    await pipeline(file, flipByteAt(index), ex.res);
    return;
  }
  await pipeline(file, ex.res);
}
