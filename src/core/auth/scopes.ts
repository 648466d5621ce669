import { SregistryError } from '../errors.js';

export const TRANSFER_SCOPE = 'urn:globus:auth:scope:transfer.api.globus.org:all';
export const TRANSFER_RESOURCE_SERVER = 'transfer.api.globus.org';

const COLLECTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function checkedId(collectionId: string): string {
  if (!COLLECTION_ID.test(collectionId)) {
    throw new SregistryError(
      'INVALID_INPUT',
      `Not a collection id: ${JSON.stringify(collectionId.slice(0, 80))}; expected a UUID like 0b1c2d3e-...`,
    );
  }
  return collectionId.toLowerCase();
}

/** Scope of a GCSv5 collection's HTTPS server. */
export const collectionHttpsScope = (collectionId: string): string =>
  `https://auth.globus.org/scopes/${checkedId(collectionId)}/https`;

/** Scope a GCSv5 mapped collection wants (as a dependency of Transfer's) before it lets Transfer in. */
export const dataAccessScope = (collectionId: string): string =>
  `https://auth.globus.org/scopes/${checkedId(collectionId)}/data_access`;

/** Transfer's scope with optional data_access dependencies: `urn:...:all[*<data_access> *<data_access>]`. */
export function transferScopeWithDataAccess(collectionIds: readonly string[]): string {
  const deps = [...new Set(collectionIds.map(dataAccessScope))];
  return deps.length === 0 ? TRANSFER_SCOPE : `${TRANSFER_SCOPE}[${deps.map((d) => `*${d}`).join(' ')}]`;
}

/** Splits a scope string at spaces outside dependent-scope brackets: `A[*B C] D` → `A[*B C]`, `D`. */
export function splitScopes(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '[') depth++;
    if (ch === ']') depth = Math.max(0, depth - 1);
    if (/\s/.test(ch) && depth === 0) {
      if (current) out.push(current);
      current = '';
    } else {
      current += /\s/.test(ch) ? ' ' : ch;
    }
  }
  if (current) out.push(current);
  return out;
}

/** A scope set in one canonical order: split, de-duplicated, sorted. */
export function normalizeScopes(scopes: string | readonly string[]): string[] {
  const list = typeof scopes === 'string' ? splitScopes(scopes) : scopes.flatMap(splitScopes);
  return [...new Set(list)].sort();
}

/** The cache key of a scope set. */
export const scopeKey = (scopes: string | readonly string[]): string => normalizeScopes(scopes).join(' ');
