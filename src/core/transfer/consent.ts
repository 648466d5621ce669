import { normalizeScopes, splitScopes } from '../auth/scopes.js';

/** `A[*B C]` → base `A`, dependencies `*B`, `C` (as written). */
function parseScope(scope: string): { base: string; deps: string[] } {
  const open = scope.indexOf('[');
  if (open < 0 || !scope.endsWith(']')) return { base: scope, deps: [] };
  return { base: scope.slice(0, open), deps: splitScopes(scope.slice(open + 1, -1)) };
}

const formatScope = (base: string, deps: readonly string[]): string =>
  deps.length === 0 ? base : `${base}[${deps.join(' ')}]`;

/**
 * The scopes to keep using after a ConsentRequired answer: the required ones, with the
 * dependencies the client already had on the same base scope kept, so consent given for
 * one mapped collection is not lost when another one asks for its own.
 */
export function mergeConsentScopes(current: readonly string[], required: readonly string[]): string[] {
  const byBase = new Map<string, string[]>();
  const order: string[] = [];
  for (const scope of [...required.flatMap(splitScopes), ...current.flatMap(splitScopes)]) {
    const { base, deps } = parseScope(scope);
    let known = byBase.get(base);
    if (!known) {
      byBase.set(base, (known = []));
      order.push(base);
    }
    for (const dep of deps) if (!known.includes(dep)) known.push(dep);
  }
  return normalizeScopes(order.map((base) => formatScope(base, byBase.get(base) ?? [])));
}
