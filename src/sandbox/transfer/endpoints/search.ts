import { badRequest } from '../../errors.js';
import { canSee, sharedWith } from '../../access.js';
import type { SandboxEndpoint } from '../../model.js';
import { intParam } from '../query.js';

/** Results one search may page through, as the real service limits it. */
export const MAX_SEARCH_RESULTS = 1000;
export const SEARCH_PAGE_MAX = 100;
/** Page size when `limit` is absent; the real service's default. */
export const SEARCH_PAGE_DEFAULT = 25;

export type SearchScope =
  'all' | 'my-endpoints' | 'my-gcp-endpoints' | 'shared-with-me' | 'recently-used' | 'administered-by-me';

const SCOPES: ReadonlySet<string> = new Set<SearchScope>([
  'all',
  'my-endpoints',
  'my-gcp-endpoints',
  'shared-with-me',
  'recently-used',
  'administered-by-me',
]);

export interface SearchRequest {
  fulltext: string;
  scope: SearchScope;
  limit: number;
  offset: number;
}

export interface SearchHit {
  endpoint: SandboxEndpoint;
  rank: number;
}

/** The search parameters of an `endpoint_search` URL, validated. */
export function parseSearch(url: URL): SearchRequest {
  const scope = url.searchParams.get('filter_scope') || 'all';
  if (!SCOPES.has(scope)) throw badRequest(`Invalid filter_scope '${scope}'; use one of ${[...SCOPES].join(', ')}`);
  const limit = intParam(url, 'limit', SEARCH_PAGE_DEFAULT, 1, SEARCH_PAGE_MAX);
  const offset = intParam(url, 'offset', 0, 0, MAX_SEARCH_RESULTS);
  if (offset + limit > MAX_SEARCH_RESULTS) {
    throw badRequest(
      `offset + limit must not exceed ${MAX_SEARCH_RESULTS}; narrow the search with filter_fulltext instead of paging further`,
    );
  }
  return { fulltext: url.searchParams.get('filter_fulltext') ?? '', scope: scope as SearchScope, limit, offset };
}

/**
 * Endpoints in scope for a client whose words match the full-text query, best first. Every
 * query word must start a word of the display name, description or id (case-insensitive).
 */
export function searchEndpoints(
  endpoints: readonly SandboxEndpoint[],
  clientId: string,
  request: SearchRequest,
): SearchHit[] {
  const words = tokens(request.fulltext);
  const hits: SearchHit[] = [];
  for (const endpoint of endpoints) {
    if (!inScope(endpoint, clientId, request.scope)) continue;
    const rank = matchRank(endpoint, words);
    if (rank !== undefined) hits.push({ endpoint, rank });
  }
  return hits
    .sort(
      (a, b) =>
        b.rank - a.rank ||
        a.endpoint.displayName.localeCompare(b.endpoint.displayName) ||
        a.endpoint.id.localeCompare(b.endpoint.id),
    )
    .slice(0, MAX_SEARCH_RESULTS);
}

function inScope(endpoint: SandboxEndpoint, clientId: string, scope: SearchScope): boolean {
  switch (scope) {
    case 'my-endpoints':
    case 'administered-by-me':
      return endpoint.owner === clientId;
    case 'my-gcp-endpoints':
      return endpoint.owner === clientId && endpoint.entityType === 'GCP_mapped_collection';
    case 'shared-with-me':
      return sharedWith(endpoint, clientId);
    // The sandbox keeps no usage history: recently-used is everything the client can see.
    case 'recently-used':
    case 'all':
      return canSee(endpoint, clientId);
  }
}

const tokens = (text: string): string[] =>
  text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);

/** How well an endpoint matches: 1 plus the number of words matched in the display name; undefined when a word misses. */
function matchRank(endpoint: SandboxEndpoint, words: string[]): number | undefined {
  if (words.length === 0) return 1;
  const name = tokens(endpoint.displayName);
  const all = [...name, ...tokens(endpoint.description), ...tokens(endpoint.id)];
  let rank = 1;
  for (const word of words) {
    if (!all.some((t) => t.startsWith(word))) return undefined;
    if (name.some((t) => t.startsWith(word))) rank++;
  }
  return rank;
}
