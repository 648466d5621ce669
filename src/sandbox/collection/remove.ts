import { lstat, rmdir, unlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { Exchange } from '../http.js';
import type { SandboxContext } from '../context.js';
import { SandboxError, notFound, permissionDenied } from '../errors.js';
import type { SandboxEndpoint } from '../model.js';
import { resolveEndpointPath } from '../paths.js';
import { authorizeCollectionRequest } from './authorize.js';
import { requestedPath } from './request-path.js';

/**
 * DELETE: removes a file (a link itself, not its target) or an empty folder and answers
 * 204. A folder with anything in it is refused with 409; the root can never be removed.
 */
export async function remove(ctx: SandboxContext, endpoint: SandboxEndpoint, ex: Exchange): Promise<void> {
  const token = authorizeCollectionRequest(ctx, endpoint, ex);
  if (!token) return;
  const { diskPath, endpointPath } = await resolveEndpointPath(
    endpoint,
    requestedPath(ex.req),
    token.clientId,
    'write',
  );
  if (endpointPath === '/') throw permissionDenied('The root folder cannot be deleted');
  let stats: Stats;
  try {
    stats = await lstat(diskPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw notFound(`File ${endpointPath}`);
    throw err;
  }
  if (stats.isDirectory()) {
    try {
      await rmdir(diskPath);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') {
        throw new SandboxError(409, 'ClientError.Conflict', `Folder ${endpointPath} is not empty`);
      }
      throw err;
    }
  } else {
    await unlink(diskPath);
  }
  ex.res.writeHead(204);
  ex.res.end();
}
