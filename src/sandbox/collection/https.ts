import { Router } from '../http.js';
import type { SandboxContext } from '../context.js';
import type { SandboxEndpoint } from '../model.js';
import { download } from './download.js';
import { upload } from './upload.js';
import { remove } from './remove.js';
import { renderCollectionError } from './errors.js';
import { gcsManagerRoute } from './gcs-manager.js';

/**
 * A collection's HTTPS server, GCSv5 style, at `/<endpoint path>` (percent-decoded).
 *
 * Choices where real Globus behaviour is not documented:
 * - no token: GET/HEAD 302 to `<sandbox origin>/v2/oauth2/authorize?client_id=<collection>
 *   &scope=<https scope>&response_type=code&redirect_uri=<request URL>`; PUT/DELETE 401.
 *   Unknown or expired token 401; token without this collection's https scope 403.
 * - errors: JSON `{code, message, http_response_code, request_id}` with Transfer's codes.
 * - GET: one range → 206; several ranges → the whole file with 200; a folder → 400
 *   `ClientError.BadRequest.IsADirectory`.
 * - PUT: 200 `{path, size}`; missing parent folder → 409 `ClientError.Conflict`.
 * - DELETE: 204; a non-empty folder → 409; an empty folder is removed.
 * - GET under `/api/` is the GCS Manager API (gcs-manager.ts), as this origin is the
 *   collection's `gcs_manager_url`; a file under `/api/` is not served over HTTPS.
 */
export function collectionRouter(ctx: SandboxContext, endpoint: SandboxEndpoint): Router {
  return new Router(renderCollectionError)
    .on('GET', /^\/api\//, (ex) => gcsManagerRoute(ctx, endpoint, ex))
    .on('GET', /^\//, (ex) => download(ctx, endpoint, ex))
    .on('PUT', /^\//, (ex) => upload(ctx, endpoint, ex))
    .on('DELETE', /^\//, (ex) => remove(ctx, endpoint, ex));
}
