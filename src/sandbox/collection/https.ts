import { Router } from '../http.js';
import type { SandboxContext } from '../context.js';
import type { SandboxEndpoint } from '../model.js';
import { download } from './download.js';
import { upload } from './upload.js';
import { remove } from './remove.js';
import { renderCollectionError } from './errors.js';

/**
 * A collection's HTTPS server, GCSv5 style: `/<endpoint path>` answers GET (with one
 * byte range) and HEAD, PUT uploads, DELETE removes. Errors are small JSON bodies.
 */
export function collectionRouter(ctx: SandboxContext, endpoint: SandboxEndpoint): Router {
  return new Router(renderCollectionError)
    .on('GET', /^\//, (ex) => download(ctx, endpoint, ex))
    .on('PUT', /^\//, (ex) => upload(ctx, endpoint, ex))
    .on('DELETE', /^\//, (ex) => remove(ctx, endpoint, ex));
}
