import type { Router, Exchange } from '../http.js';
import { sendJson } from '../http.js';
import type { SandboxContext } from '../context.js';
import type { SandboxError } from '../errors.js';

/** STUB: OIDC discovery, token, introspect. */
export function authRoutes(_router: Router, _ctx: SandboxContext): void {}

/** Auth's error body: `{errors:[{status,id,code,title,detail}], error, error_description}`. */
export function renderAuthError(ex: Exchange, err: SandboxError): void {
  sendJson(ex.res, err.status, {
    errors: [{ status: String(err.status), id: ex.requestId, code: err.code, title: err.code, detail: err.message }],
    error: err.code,
    error_description: err.message,
  }, err.headers);
}
