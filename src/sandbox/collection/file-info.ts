import { stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { SandboxError, badRequest, notFound } from '../errors.js';

/** The regular file at `diskPath` (links followed); 404 when missing, 400 for a folder or anything else. */
export async function regularFile(diskPath: string, endpointPath: string): Promise<Stats> {
  let stats: Stats;
  try {
    stats = await stat(diskPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw notFound(`File ${endpointPath}`);
    throw err;
  }
  if (stats.isDirectory()) throw isADirectory(endpointPath);
  if (!stats.isFile()) throw badRequest(`${endpointPath} is not a regular file`);
  return stats;
}

export const isADirectory = (endpointPath: string): SandboxError =>
  badRequest(`${endpointPath} is a directory; only files are served over HTTPS`, 'ClientError.BadRequest.IsADirectory');

/** A weak validator from size and modification time, like common static file servers use. */
export const weakEtag = (stats: Stats): string =>
  `W/"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`;

/** Validators of a file version: `ETag` and `Last-Modified`. */
export const validators = (stats: Stats): Record<string, string> => ({
  etag: weakEtag(stats),
  'last-modified': stats.mtime.toUTCString(),
});
