import type { Exchange } from '../http.js';
import type { SandboxContext } from '../context.js';
import { SandboxError } from '../errors.js';
import { collectionScope, needsDataAccess, type SandboxEndpoint } from '../model.js';
import { bearerToken, type IssuedToken } from '../auth/tokens.js';

export const AUTHORIZE_PATH = '/v2/oauth2/authorize';

/**
 * Checks the caller's bearer token for the collection's `https` scope and records the
 * caller on the exchange. Without a token, GET and HEAD are redirected to the sandbox's
 * Auth (as GCS sends a browser to log in) and the answer is `undefined`: the response
 * is already sent. Other methods without a token, and unknown or expired tokens, get 401;
 * a valid token without this collection's scope gets 403.
 *
 * A non-high-assurance GCSv5 mapped collection also wants its `data_access` scope on the
 * token, as globus-sdk-python's GCSDownloader asks for both there.
 */
export function authorizeCollectionRequest(
  ctx: SandboxContext,
  endpoint: SandboxEndpoint,
  ex: Exchange,
): IssuedToken | undefined {
  const scope = collectionScope(endpoint.id, 'https');
  const raw = bearerToken(ex.req);
  const method = ex.req.method ?? 'GET';
  if (!raw) {
    if (method === 'GET' || method === 'HEAD') {
      redirectToAuth(ctx, endpoint, ex, scope);
      return undefined;
    }
    throw unauthenticated('No Authorization header provided');
  }
  const token = ctx.tokens.active(raw);
  if (!token) throw unauthenticated('Token is not active');
  ex.clientId = token.clientId;
  if (!token.scopes.includes(scope)) {
    throw new SandboxError(
      403,
      'PermissionDenied',
      `Token does not grant access to collection ${endpoint.id}; it needs scope ${scope}`,
    );
  }
  const dataAccess = collectionScope(endpoint.id, 'data_access');
  if (needsDataAccess(endpoint) && !token.scopes.includes(dataAccess)) {
    throw new SandboxError(
      403,
      'PermissionDenied',
      `Token does not grant access to mapped collection ${endpoint.id}; it needs scopes ${scope} and ${dataAccess}`,
    );
  }
  return token;
}

function unauthenticated(message: string): SandboxError {
  return new SandboxError(401, 'AuthenticationFailed', message, {}, { 'www-authenticate': 'Bearer' });
}

/**
 * 302 to `<sandbox origin>/v2/oauth2/authorize` with the collection id as `client_id`,
 * the collection's https scope, `response_type=code` and this URL as `redirect_uri`.
 */
function redirectToAuth(ctx: SandboxContext, endpoint: SandboxEndpoint, ex: Exchange, scope: string): void {
  const location = new URL(AUTHORIZE_PATH, ctx.origin);
  location.searchParams.set('client_id', endpoint.id);
  location.searchParams.set('scope', scope);
  location.searchParams.set('response_type', 'code');
  location.searchParams.set('redirect_uri', new URL(ex.req.url ?? '/', endpoint.httpsServer ?? ctx.origin).href);
  ex.res.writeHead(302, { location: location.href, 'content-length': 0 });
  ex.res.end();
  ex.req.resume();
}
