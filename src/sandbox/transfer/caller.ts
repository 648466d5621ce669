import { SandboxError } from '../errors.js';
import type { Exchange } from '../http.js';
import type { SandboxContext } from '../context.js';
import { findEndpoint } from '../context.js';
import { canSee } from '../access.js';
import { TRANSFER_SCOPE, collectionScope, needsDataAccess, type SandboxEndpoint } from '../model.js';
import { requireToken, type IssuedToken } from '../auth/tokens.js';
import { countRequest } from './rate-limit.js';

/** The client behind a Transfer request; 401 unless it holds a token with the transfer scope. */
export function transferCaller(ctx: SandboxContext, ex: Exchange): string {
  return transferToken(ctx, ex).clientId;
}

/** The Transfer token behind a request (counted against the rate limit). */
export function transferToken(ctx: SandboxContext, ex: Exchange): IssuedToken {
  const token = requireToken(ctx.tokens, ex.req, TRANSFER_SCOPE);
  ex.clientId = token.clientId;
  countRequest(ctx, token.clientId);
  return token;
}

/**
 * 403 ConsentRequired, as Transfer answers for a non-high-assurance GCSv5 mapped
 * collection when the token was not issued with its `data_access` scope as a dependency
 * (gsj `src/core/__tests__/errors.spec.ts`); `required_scopes` is what to ask for.
 */
export function requireDataAccess(token: IssuedToken, endpoint: SandboxEndpoint): void {
  if (!needsDataAccess(endpoint)) return;
  const scope = collectionScope(endpoint.id, 'data_access');
  if (token.scopes.includes(scope)) return;
  throw new SandboxError(403, 'ConsentRequired', 'Missing required data_access consent', {
    required_scopes: [`${TRANSFER_SCOPE}[*${scope}]`],
  });
}

/**
 * An endpoint the client may see. Unknown ids and endpoints the client cannot see answer
 * the same 404, so a caller learns nothing about endpoints that are not theirs.
 */
export function visibleEndpoint(ctx: SandboxContext, id: string, clientId: string): SandboxEndpoint {
  const endpoint = findEndpoint(ctx, id);
  if (!endpoint || !canSee(endpoint, clientId)) {
    throw new SandboxError(404, 'EndpointNotFound', `No such endpoint: ${id}`);
  }
  return endpoint;
}

/** The `<id>` of a route, percent-decoded; a malformed escape is kept as sent (and then not found). */
export function endpointIdParam(params: Record<string, string>): string {
  const raw = params.id ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
