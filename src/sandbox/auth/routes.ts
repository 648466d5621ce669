import type { Router, Exchange } from '../http.js';
import { readForm, sendJson } from '../http.js';
import type { SandboxContext } from '../context.js';
import { SandboxError } from '../errors.js';
import { TRANSFER_SCOPE, clientIdentity, collectionScope } from '../model.js';
import type { IssuedToken } from './tokens.js';
import { authenticateClient } from './client-auth.js';
import {
  AUTH_RESOURCE_SERVER,
  AUTH_SCOPES,
  VIEW_IDENTITY_SET_SCOPE,
  grantsFor,
  invalidScope,
  parseScopes,
} from './scopes.js';
import { bearerToken } from './tokens.js';

export const TOKEN_PATH = '/v2/oauth2/token';
export const INTROSPECT_PATH = '/v2/oauth2/token/introspect';
export const JWKS_PATH = '/jwk.json';
export const USERINFO_PATH = '/v2/oauth2/userinfo';

/** One token of a token answer; `other_tokens` is empty inside entries of `other_tokens`. */
export interface TokenAnswer {
  access_token: string;
  scope: string;
  expires_in: number;
  token_type: 'Bearer';
  resource_server: string;
  other_tokens: TokenAnswer[];
}

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/** Globus Auth at the root of the main origin: OIDC discovery, client_credentials tokens, introspection. */
export function authRoutes(router: Router, ctx: SandboxContext): void {
  router.on('GET', /^\/\.well-known\/openid-configuration$/, (ex) => sendJson(ex.res, 200, discoveryDocument(ctx)));
  router.on('GET', /^\/jwk\.json$/, (ex) => sendJson(ex.res, 200, { keys: [] }));
  router.on('POST', /^\/v2\/oauth2\/token\/?$/, (ex) => token(ex, ctx));
  router.on('POST', /^\/v2\/oauth2\/token\/introspect\/?$/, (ex) => introspect(ex, ctx));
  router.on('GET', /^\/v2\/oauth2\/userinfo\/?$/, (ex) => userinfo(ex, ctx));
  router.on('POST', /^\/v2\/oauth2\/userinfo\/?$/, (ex) => userinfo(ex, ctx));
}

/**
 * OIDC userinfo for the identity behind an Auth token with `openid`: for a confidential
 * client that is the client itself (`<id>@clients.auth.globus.org`). `email` is null, as a
 * client has none; `identity_set` comes with the `view_identity_set` scope.
 */
function userinfo(ex: Exchange, ctx: SandboxContext): void {
  const raw = bearerToken(ex.req);
  const found = raw ? ctx.tokens.active(raw) : undefined;
  if (!found)
    throw new SandboxError(
      401,
      'invalid_token',
      'A bearer token from this Auth with the openid scope is required',
      {},
      { 'www-authenticate': 'Bearer error="invalid_token"' },
    );
  ex.clientId = found.clientId;
  if (found.resourceServer !== AUTH_RESOURCE_SERVER || !found.scopes.includes('openid')) {
    throw new SandboxError(
      403,
      'insufficient_scope',
      'The token was not issued for the openid scope',
      {},
      { 'www-authenticate': 'Bearer error="insufficient_scope", scope="openid"' },
    );
  }
  const client = ctx.world.clients.find((c) => c.id === found.clientId);
  const identity = clientIdentity(found.clientId);
  const has = (scope: string): boolean => found.scopes.includes(scope);
  const profile = {
    name: client?.name ?? null,
    preferred_username: identity,
    organization: null,
    identity_provider: AUTH_RESOURCE_SERVER,
    identity_provider_display_name: 'Globus Auth',
  };
  const answer = {
    sub: found.clientId,
    ...(has('profile') ? profile : {}),
    ...(has('email') ? { email: null } : {}),
    ...(has(VIEW_IDENTITY_SET_SCOPE)
      ? { identity_set: [{ sub: found.clientId, username: identity, ...profile, email: null }] }
      : {}),
  };
  sendJson(ex.res, 200, answer, NO_STORE);
}

function discoveryDocument(ctx: SandboxContext): Record<string, unknown> {
  const origin = ctx.origin;
  const clientAuth = ['client_secret_basic', 'client_secret_post'];
  const collectionScopes = ctx.world.endpoints.flatMap((e) => [
    ...(e.https ? [collectionScope(e.id, 'https')] : []),
    ...(e.entityType === 'GCSv5_mapped_collection' && !e.highAssurance ? [collectionScope(e.id, 'data_access')] : []),
  ]);
  return {
    issuer: origin,
    token_endpoint: `${origin}${TOKEN_PATH}`,
    introspection_endpoint: `${origin}${INTROSPECT_PATH}`,
    jwks_uri: `${origin}${JWKS_PATH}`,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: clientAuth,
    introspection_endpoint_auth_methods_supported: clientAuth,
    userinfo_endpoint: `${origin}${USERINFO_PATH}`,
    scopes_supported: [TRANSFER_SCOPE, ...AUTH_SCOPES, ...collectionScopes],
    response_types_supported: [],
    subject_types_supported: ['public'],
  };
}

async function token(ex: Exchange, ctx: SandboxContext): Promise<void> {
  const form = await readForm(ex.req);
  const client = authenticateClient(ex.req, form, ctx.world.clients, ctx.world.behaviour.basic_credentials);
  ex.clientId = client.id;
  const grantType = form.get('grant_type');
  if (grantType !== 'client_credentials') {
    throw new SandboxError(
      400,
      'unsupported_grant_type',
      `Unsupported grant_type ${JSON.stringify(grantType ?? '')}; the sandbox issues client_credentials tokens only`,
    );
  }
  const requested = parseScopes(form.get('scope') ?? '');
  if (requested.length === 0) throw invalidScope('A scope is required, e.g. ' + TRANSFER_SCOPE);
  const grants = grantsFor(requested, ctx.world.endpoints);
  const answers = grants.map((g): TokenAnswer => {
    const issued = ctx.tokens.issue(client.id, g.resourceServer, g.scopes, ctx.world.tokenLifetime);
    return {
      access_token: issued.token,
      scope: g.scopes.join(' '),
      expires_in: ctx.world.tokenLifetime,
      token_type: 'Bearer',
      resource_server: g.resourceServer,
      other_tokens: [],
    };
  });
  const [first, ...others] = answers;
  sendJson(ex.res, 200, { ...first, other_tokens: others }, NO_STORE);
}

async function introspect(ex: Exchange, ctx: SandboxContext): Promise<void> {
  const form = await readForm(ex.req);
  const client = authenticateClient(ex.req, form, ctx.world.clients, ctx.world.behaviour.basic_credentials);
  ex.clientId = client.id;
  const raw = form.get('token');
  if (!raw) throw new SandboxError(400, 'invalid_request', 'The token parameter is required');
  const found = ctx.tokens.active(raw);
  sendJson(ex.res, 200, found ? introspection(found, ctx.origin) : { active: false }, NO_STORE);
}

function introspection(t: IssuedToken, issuer: string): Record<string, unknown> {
  const seconds = (ms: number) => Math.floor(ms / 1000);
  return {
    active: true,
    scope: t.scopes.join(' '),
    client_id: t.clientId,
    sub: t.clientId,
    username: clientIdentity(t.clientId),
    identity_set: [t.clientId],
    token_type: 'Bearer',
    exp: seconds(t.expiresAt),
    iat: seconds(t.issuedAt),
    nbf: seconds(t.issuedAt),
    aud: [t.resourceServer],
    iss: issuer,
  };
}

/** Auth's error body: `{errors:[{status,id,code,title,detail}], error, error_description}`. */
export function renderAuthError(ex: Exchange, err: SandboxError): void {
  sendJson(
    ex.res,
    err.status,
    {
      errors: [{ status: String(err.status), id: ex.requestId, code: err.code, title: err.code, detail: err.message }],
      error: err.code,
      error_description: err.message,
    },
    err.headers,
  );
}
