import type { Access, Permission, SandboxEndpoint } from './model.js';

/** Whether a rule applies to a client now: its identity, everyone signed in, or everyone; groups have no members here. */
export function ruleAppliesTo(rule: Permission, clientId: string, now = Date.now()): boolean {
  if (rule.expirationDate && Date.parse(rule.expirationDate) <= now) return false;
  switch (rule.principalType ?? 'identity') {
    case 'identity':
      return rule.principal === clientId;
    case 'all_authenticated_users':
    case 'anonymous':
      return true;
    default:
      return false;
  }
}

/**
 * What a client may do on an endpoint at a path: the owner everything; otherwise the
 * union of every rule on the path or a folder above it, as Transfer's access rules are
 * additive (a read-write rule on `/a/` is not narrowed by a read rule on `/a/b/`).
 */
export function accessAt(endpoint: SandboxEndpoint, clientId: string, endpointPath: string): Access | undefined {
  if (endpoint.owner === clientId) return 'rw';
  const dir = endpointPath.endsWith('/') ? endpointPath : `${endpointPath}/`;
  let best: Access | undefined;
  for (const p of endpoint.permissions) {
    if (!ruleAppliesTo(p, clientId)) continue;
    const prefix = p.path.endsWith('/') ? p.path : `${p.path}/`;
    if (!dir.startsWith(prefix)) continue;
    if (p.access === 'rw') return 'rw';
    best = 'r';
  }
  return best;
}

/** Whether a client sees an endpoint at all (search, get): owner, any rule that applies to it, or public. */
export function canSee(endpoint: SandboxEndpoint, clientId: string): boolean {
  return endpoint.owner === clientId || endpoint.public || endpoint.permissions.some((p) => ruleAppliesTo(p, clientId));
}

/** Whether an endpoint was shared with a client it does not own (filter_scope=shared-with-me). */
export function sharedWith(endpoint: SandboxEndpoint, clientId: string): boolean {
  return endpoint.owner !== clientId && endpoint.permissions.some((p) => ruleAppliesTo(p, clientId));
}

/** Who may list and change an endpoint's rules: its owner (the sandbox models no access_manager role assignments). */
export const canManageRules = (endpoint: SandboxEndpoint, clientId: string): boolean => endpoint.owner === clientId;
