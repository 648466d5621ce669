import type { Access, SandboxEndpoint } from './model.js';

/** What a client may do on an endpoint at a path: owner everything, else the longest matching permission. */
export function accessAt(endpoint: SandboxEndpoint, clientId: string, endpointPath: string): Access | undefined {
  if (endpoint.owner === clientId) return 'rw';
  const dir = endpointPath.endsWith('/') ? endpointPath : `${endpointPath}/`;
  let best: { length: number; access: Access } | undefined;
  for (const p of endpoint.permissions) {
    if (p.principal !== clientId) continue;
    const prefix = p.path.endsWith('/') ? p.path : `${p.path}/`;
    if (!dir.startsWith(prefix)) continue;
    if (!best || prefix.length > best.length) best = { length: prefix.length, access: p.access };
  }
  return best?.access;
}

/** Whether a client sees an endpoint at all (search, get): owner, any permission, or public. */
export function canSee(endpoint: SandboxEndpoint, clientId: string): boolean {
  return endpoint.owner === clientId || endpoint.public || endpoint.permissions.some((p) => p.principal === clientId);
}

/** Whether an endpoint was shared with a client it does not own (filter_scope=shared-with-me). */
export function sharedWith(endpoint: SandboxEndpoint, clientId: string): boolean {
  return endpoint.owner !== clientId && endpoint.permissions.some((p) => p.principal === clientId);
}
