import type { SandboxContext } from '../context.js';
import { SandboxError } from '../errors.js';
import { sendJson, type Exchange, type Router } from '../http.js';
import { clientIdentity } from '../model.js';
import { bearerToken } from './tokens.js';
import { AUTH_RESOURCE_SERVER } from './scopes.js';

/**
 * Auth's identity lookup, `GET /v2/api/identities?ids=...` or `?usernames=...` (comma
 * separated), as globus-cli calls it to show who an access rule names. The sandbox's
 * identities are its clients (`<id>@clients.auth.globus.org`); ids and usernames it does
 * not know are left out of the answer, as Auth leaves out unknown ones.
 */
export function identityRoutes(router: Router, ctx: SandboxContext): void {
  router.on('GET', /^\/v2\/api\/identities\/?$/, (ex) => lookup(ex, ctx));
}

function lookup(ex: Exchange, ctx: SandboxContext): void {
  const raw = bearerToken(ex.req);
  const token = raw ? ctx.tokens.active(raw) : undefined;
  if (!token || token.resourceServer !== AUTH_RESOURCE_SERVER) {
    throw new SandboxError(
      401,
      'UNAUTHORIZED',
      'A bearer token of this Auth is required',
      {},
      { 'www-authenticate': 'Bearer' },
    );
  }
  ex.clientId = token.clientId;
  const list = (name: string): string[] =>
    (ex.url.searchParams.get(name) ?? '')
      .split(',')
      .map((v) => v.trim().toLowerCase())
      .filter(Boolean);
  const ids = list('ids');
  const usernames = list('usernames');
  if (ids.length > 0 && usernames.length > 0)
    throw new SandboxError(400, 'INVALID_PARAMETERS', 'Give ids or usernames, not both');
  const wanted = (id: string): boolean => ids.includes(id) || usernames.includes(clientIdentity(id));
  const identities = ctx.world.clients
    .filter((c) => wanted(c.id))
    .map((c) => ({
      id: c.id,
      username: clientIdentity(c.id),
      name: c.name,
      email: null,
      identity_provider: AUTH_RESOURCE_SERVER,
      organization: null,
      status: 'used',
    }));
  sendJson(ex.res, 200, { identities });
}
