import { SandboxError } from '../errors.js';
import { TRANSFER_RESOURCE_SERVER, TRANSFER_SCOPE, type SandboxEndpoint } from '../model.js';

/** One requested scope with its dependent scopes: `A[*B C]` is A depending on optional B and required C. */
export interface ScopeRequest {
  scope: string;
  optional: boolean;
  dependencies: ScopeRequest[];
}

export const invalidScope = (detail: string): SandboxError => new SandboxError(400, 'invalid_scope', detail);

/** Parses a space separated scope string with Globus's dependent-scope brackets. */
export function parseScopes(text: string): ScopeRequest[] {
  const tokens = text.match(/\[|\]|\*|[^\s[\]*]+/g) ?? [];
  let at = 0;

  const list = (nested: boolean): ScopeRequest[] => {
    const out: ScopeRequest[] = [];
    while (at < tokens.length) {
      const token = tokens[at]!;
      if (token === ']') {
        if (!nested) throw invalidScope(`Unbalanced "]" in scope string: ${text}`);
        return out;
      }
      let optional = false;
      if (token === '*') {
        if (!nested) throw invalidScope(`Only dependent scopes may be optional ("*"): ${text}`);
        optional = true;
        at++;
      }
      const scope = tokens[at];
      if (scope === undefined || scope === '[' || scope === ']' || scope === '*')
        throw invalidScope(`A scope name is missing in: ${text}`);
      at++;
      let dependencies: ScopeRequest[] = [];
      if (tokens[at] === '[') {
        at++;
        dependencies = list(true);
        if (tokens[at] !== ']') throw invalidScope(`Unbalanced "[" in scope string: ${text}`);
        at++;
      }
      out.push({ scope, optional, dependencies });
    }
    if (nested) throw invalidScope(`Unbalanced "[" in scope string: ${text}`);
    return out;
  };

  return list(false);
}

/** Auth's own scopes, which the SDKs ask for by default with client credentials. */
export const AUTH_RESOURCE_SERVER = 'auth.globus.org';
export const VIEW_IDENTITY_SET_SCOPE = 'urn:globus:auth:scope:auth.globus.org:view_identity_set';
export const AUTH_SCOPES: readonly string[] = ['openid', 'profile', 'email', VIEW_IDENTITY_SET_SCOPE];

const COLLECTION_SCOPE = /^https:\/\/auth\.globus\.org\/scopes\/([^/\s]+)\/(https|data_access)$/;

/**
 * The resource server a scope belongs to: Transfer for its scope, Auth for `openid`,
 * `profile`, `email` and `view_identity_set`, the collection id for a
 * collection's `https` (collection serves HTTPS) or `data_access` (non-high-assurance
 * GCSv5 mapped collections only) scope. Anything else is an unknown scope.
 */
export function resourceServerOf(scope: string, endpoints: readonly SandboxEndpoint[]): string {
  if (scope === TRANSFER_SCOPE) return TRANSFER_RESOURCE_SERVER;
  if (AUTH_SCOPES.includes(scope)) return AUTH_RESOURCE_SERVER;
  const match = COLLECTION_SCOPE.exec(scope);
  const collection = match && endpoints.find((e) => e.id === match[1]);
  if (match && collection) {
    if (match[2] === 'https' && collection.https) return collection.id;
    if (match[2] === 'data_access' && collection.entityType === 'GCSv5_mapped_collection' && !collection.highAssurance)
      return collection.id;
  }
  throw invalidScope(`Unknown Scope: ${scope}`);
}

/** What one token of a token answer carries. */
export interface TokenGrant {
  resourceServer: string;
  /** Top-level scopes for this resource server, then their dependent scopes (flattened). */
  scopes: string[];
}

/** Checks every scope (dependent ones too) and groups the top-level ones by resource server, in request order. */
export function grantsFor(requests: readonly ScopeRequest[], endpoints: readonly SandboxEndpoint[]): TokenGrant[] {
  const grants = new Map<string, { top: string[]; dependent: string[] }>();
  for (const request of requests) {
    const server = resourceServerOf(request.scope, endpoints);
    const grant = grants.get(server) ?? { top: [], dependent: [] };
    grants.set(server, grant);
    if (!grant.top.includes(request.scope)) grant.top.push(request.scope);
    for (const dependent of flatten(request.dependencies)) {
      resourceServerOf(dependent, endpoints);
      if (!grant.dependent.includes(dependent)) grant.dependent.push(dependent);
    }
  }
  return [...grants].map(([resourceServer, g]) => ({
    resourceServer,
    scopes: [...g.top, ...g.dependent.filter((d) => !g.top.includes(d))],
  }));
}

function flatten(requests: readonly ScopeRequest[]): string[] {
  return requests.flatMap((r) => [r.scope, ...flatten(r.dependencies)]);
}
