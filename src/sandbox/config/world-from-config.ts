/**
 * The world a config describes. Ids and secrets the config leaves out are taken from the
 * world of the last start (matched by name) so they stay stable across restarts.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { EndpointConfig, SandboxConfig } from './config-file.js';
import type { Permission, SandboxClient, SandboxEndpoint, SandboxWorld } from '../model.js';
import { DEFAULT_BEHAVIOUR } from '../behaviour.js';
import { stableId } from '../stable-id.js';
import { defaultWorld, newClientSecret } from './default-world.js';

export const DEFAULT_TOKEN_LIFETIME = 172800;

export interface BuildOptions {
  dataDir: string;
  /** The world of the last start: ids, secrets and the admin token are taken from it by name. */
  previous?: SandboxWorld;
  /** Home folder of a default personal endpoint. */
  home?: string;
  /** More folders a default personal endpoint reaches. */
  shared?: readonly string[];
}

/** The world a config describes; what the config leaves out comes from `previous` (matched by name), else is generated. */
export function buildWorld(config: SandboxConfig, { dataDir, previous, home, shared }: BuildOptions): SandboxWorld {
  const defaults = defaultWorld({ dataDir, ...(home ? { home } : {}), ...(shared ? { shared } : {}) });
  const clientConfigs = config.clients?.length ? config.clients : [{ name: defaults.clients[0]!.name }];
  const clients: SandboxClient[] = clientConfigs.map((c) => {
    const before = previous?.clients.find((p) => (c.id ? p.id === c.id : p.name === c.name));
    return {
      id: c.id ?? before?.id ?? randomUUID(),
      secret: c.secret ?? before?.secret ?? newClientSecret(),
      name: c.name,
    };
  });
  const clientId = (name: string): string => {
    const bare = name.replace(/@clients\.auth\.globus\.org$/, '');
    return clients.find((c) => c.name === bare || c.id === bare)?.id ?? bare;
  };
  const owner = clients[0]!.id;

  const endpointConfigs: EndpointConfig[] = config.endpoints ?? defaults.endpoints.map((e) => fromEndpoint(e));
  const endpoints = endpointConfigs.map((e): SandboxEndpoint => {
    const before = previous?.endpoints.find((p) => (e.id ? p.id === e.id : p.displayName === e.display_name));
    const id = e.id ?? before?.id ?? randomUUID();
    const personal = e.entity_type === 'GCP_mapped_collection';
    // The config's permissions are the endpoint's first access rules, of principal type identity.
    const permissions: Permission[] = (e.permissions ?? []).map((p) => {
      const principal = clientId(p.principal);
      const path = p.path.endsWith('/') ? p.path : `${p.path}/`;
      return { id: configRuleId(id, principal, path), principalType: 'identity', principal, path, access: p.access };
    });
    // Rules made through the API at an earlier start (they have a create_time; the config's have none) stay.
    for (const rule of before?.permissions ?? []) {
      if (rule.createTime && !permissions.some((p) => p.id === rule.id)) permissions.push(rule);
    }
    const common = {
      id,
      displayName: e.display_name,
      entityType: e.entity_type,
      description: e.description ?? '',
      owner: e.owner ? clientId(e.owner) : owner,
      highAssurance: e.high_assurance ?? false,
      public: e.public ?? false,
      permissions,
    };
    if (personal) {
      const personalDefaults = defaults.endpoints[0]!;
      const configPaths =
        e.config_paths ??
        (e.home ? [{ path: e.home, shareable: false, writable: true }] : personalDefaults.configPaths!);
      return {
        ...common,
        home: e.home ?? configPaths[0]?.path ?? personalDefaults.home!,
        configPaths,
        https: false,
        connected: e.connected ?? true,
      };
    }
    return { ...common, root: e.root ?? join(dataDir, 'collections', id), https: e.https ?? true };
  });

  return {
    clients,
    endpoints,
    behaviour: { ...DEFAULT_BEHAVIOUR, ...config.behaviour },
    tokenLifetime: config.token_lifetime ?? DEFAULT_TOKEN_LIFETIME,
    adminToken: config.admin_token ?? previous?.adminToken ?? defaults.adminToken,
  };
}

/** A default endpoint as config; its root is left out so it follows the (possibly reused) id. */
function fromEndpoint(e: SandboxEndpoint): EndpointConfig {
  return {
    display_name: e.displayName,
    entity_type: e.entityType,
    description: e.description,
    ...(e.home ? { home: e.home } : {}),
    ...(e.configPaths ? { config_paths: e.configPaths } : {}),
    https: e.https,
  };
}

/** A rule id that comes out the same on every start for the same endpoint, principal and path. */
const configRuleId = (endpointId: string, principal: string, path: string): string =>
  stableId('rule', endpointId, principal, path);
