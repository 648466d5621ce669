import { sendJson, type Exchange } from '../http.js';
import type { SandboxError } from '../errors.js';

/**
 * Error body of a collection's HTTPS origin: `{code, message, http_response_code,
 * request_id}`, always JSON. The real GCS HTTPS server's error body is not documented;
 * this keeps Transfer's `code` strings so a client can treat both services alike.
 */
export function renderCollectionError(ex: Exchange, err: SandboxError): void {
  sendJson(
    ex.res,
    err.status,
    { code: err.code, message: err.message, http_response_code: err.status, request_id: ex.requestId },
    err.headers,
  );
}
