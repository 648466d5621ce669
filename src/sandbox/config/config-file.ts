/**
 * The sandbox's optional JSON config file: clients, endpoints, permissions and token
 * lifetime, checked field by field, with relative paths resolved against its folder.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError, ENTITY_TYPES, known, list, nonEmpty, obj, positiveInt, str, unique, uuid } from './checks.js';
import { parseBehaviour, type Behaviour } from '../behaviour.js';
import type { Access, ConfigPath, EntityType } from '../model.js';

export interface ClientConfig {
  name: string;
  id?: string;
  secret?: string;
}

export interface PermissionConfig {
  /** Client name, client id, or `<client id>@clients.auth.globus.org`. */
  principal: string;
  path: string;
  access: Access;
}

export interface EndpointConfig {
  display_name: string;
  entity_type: EntityType;
  id?: string;
  description?: string;
  /** Client name or id; the first client when absent. */
  owner?: string;
  /** GCSv5 collections: the folder that is `/`; `<data>/collections/<id>` when absent. */
  root?: string;
  /** GCP endpoints: the folder `/~/` stands for. */
  home?: string;
  /** GCP endpoints: folders it may reach. */
  config_paths?: ConfigPath[];
  https?: boolean;
  high_assurance?: boolean;
  public?: boolean;
  permissions?: PermissionConfig[];
  /** GCP endpoints: Globus Connect Personal is connected; default true. */
  connected?: boolean;
}

export interface SandboxConfig {
  token_lifetime?: number;
  admin_token?: string;
  clients?: ClientConfig[];
  endpoints?: EndpointConfig[];
  /** Switches and knobs of behaviour.ts; the rest keep their defaults. */
  behaviour?: Partial<Behaviour>;
}

/** Reads and checks a config file; relative paths in it are resolved against its folder. */
export async function readConfigFile(file: string): Promise<SandboxConfig> {
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    throw new ConfigError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  return parseConfig(value, file);
}

/** Checks a config value field by field; `file` names the source in messages and anchors relative paths. */
export function parseConfig(value: unknown, file: string): SandboxConfig {
  const fail = (message: string): never => {
    throw new ConfigError(`${file}: ${message}`);
  };
  const base = dirname(resolve(file));
  const top = obj(value, 'the top level', fail);
  known(top, ['token_lifetime', 'admin_token', 'clients', 'endpoints', 'behaviour'], 'the top level', fail);
  const config: SandboxConfig = {};
  if (top.token_lifetime !== undefined) config.token_lifetime = positiveInt(top.token_lifetime, 'token_lifetime', fail);
  if (top.admin_token !== undefined) config.admin_token = nonEmpty(top.admin_token, 'admin_token', fail);
  if (top.behaviour !== undefined) {
    try {
      config.behaviour = parseBehaviour(top.behaviour, 'behaviour');
    } catch (err) {
      fail((err as Error).message);
    }
  }

  if (top.clients !== undefined) {
    config.clients = list(top.clients, 'clients', fail).map((raw, i) => {
      const at = `clients[${i}]`;
      const c = obj(raw, at, fail);
      known(c, ['name', 'id', 'secret'], at, fail);
      const client: ClientConfig = { name: nonEmpty(c.name, `${at}.name`, fail) };
      if (c.id !== undefined) client.id = uuid(c.id, `${at}.id`, fail);
      if (c.secret !== undefined) client.secret = nonEmpty(c.secret, `${at}.secret`, fail);
      return client;
    });
    unique(
      config.clients.map((c) => c.name),
      'client name',
      fail,
    );
    unique(
      config.clients.flatMap((c) => (c.id ? [c.id] : [])),
      'client id',
      fail,
    );
  }
  const clientKeys = new Set((config.clients ?? []).flatMap((c) => [c.name, ...(c.id ? [c.id] : [])]));
  const knownClient = (name: string, at: string) => {
    if (config.clients && !clientKeys.has(name.replace(/@clients\.auth\.globus\.org$/, ''))) {
      fail(`${at} names no configured client: ${name}`);
    }
    return name;
  };

  if (top.endpoints !== undefined) {
    config.endpoints = list(top.endpoints, 'endpoints', fail).map((raw, i) =>
      parseEndpoint(raw, `endpoints[${i}]`, base, fail, knownClient),
    );
    unique(
      config.endpoints.map((e) => e.display_name),
      'endpoint display_name',
      fail,
    );
    unique(
      config.endpoints.flatMap((e) => (e.id ? [e.id] : [])),
      'endpoint id',
      fail,
    );
  }
  return config;
}

function parseEndpoint(
  raw: unknown,
  at: string,
  base: string,
  fail: (m: string) => never,
  knownClient: (name: string, at: string) => string,
): EndpointConfig {
  const e = obj(raw, at, fail);
  known(
    e,
    [
      'display_name',
      'entity_type',
      'id',
      'description',
      'owner',
      'root',
      'home',
      'config_paths',
      'https',
      'high_assurance',
      'public',
      'permissions',
      'connected',
    ],
    at,
    fail,
  );
  const entityType = e.entity_type;
  if (!ENTITY_TYPES.includes(entityType as EntityType))
    fail(`${at}.entity_type must be one of ${ENTITY_TYPES.join(', ')}`);
  const personal = entityType === 'GCP_mapped_collection';
  const endpoint: EndpointConfig = {
    display_name: nonEmpty(e.display_name, `${at}.display_name`, fail),
    entity_type: entityType as EntityType,
  };
  if (e.id !== undefined) endpoint.id = uuid(e.id, `${at}.id`, fail);
  if (e.description !== undefined) endpoint.description = str(e.description, `${at}.description`, fail);
  if (e.owner !== undefined) endpoint.owner = knownClient(nonEmpty(e.owner, `${at}.owner`, fail), `${at}.owner`);
  for (const flag of ['https', 'high_assurance', 'public'] as const) {
    if (e[flag] === undefined) continue;
    if (typeof e[flag] !== 'boolean') fail(`${at}.${flag} must be true or false`);
    endpoint[flag] = e[flag];
  }
  if (personal) {
    if (e.root !== undefined)
      fail(`${at}.root is for GCSv5 collections; a GCP_mapped_collection uses home and config_paths`);
    if (endpoint.https) fail(`${at}.https is for GCSv5 collections; Globus Connect Personal serves no HTTPS`);
    if (e.connected !== undefined) {
      if (typeof e.connected !== 'boolean') fail(`${at}.connected must be true or false`);
      endpoint.connected = e.connected;
    }
    if (e.home !== undefined) endpoint.home = resolve(base, nonEmpty(e.home, `${at}.home`, fail));
    if (e.config_paths !== undefined) {
      endpoint.config_paths = list(e.config_paths, `${at}.config_paths`, fail).map((rawPath, j) => {
        const where = `${at}.config_paths[${j}]`;
        const p = obj(rawPath, where, fail);
        known(p, ['path', 'shareable', 'writable'], where, fail);
        for (const flag of ['shareable', 'writable'] as const) {
          if (p[flag] !== undefined && typeof p[flag] !== 'boolean') fail(`${where}.${flag} must be true or false`);
        }
        return {
          path: resolve(base, nonEmpty(p.path, `${where}.path`, fail)),
          shareable: p.shareable === true,
          writable: p.writable !== false,
        };
      });
    }
  } else {
    if (e.connected !== undefined)
      fail(`${at}.connected is for GCP_mapped_collection endpoints (Globus Connect Personal)`);
    if (e.home !== undefined || e.config_paths !== undefined)
      fail(`${at}: home and config_paths are for GCP_mapped_collection endpoints; a collection uses root`);
    if (e.root !== undefined) endpoint.root = resolve(base, nonEmpty(e.root, `${at}.root`, fail));
  }
  if (e.permissions !== undefined) {
    endpoint.permissions = list(e.permissions, `${at}.permissions`, fail).map((rawPermission, j) => {
      const where = `${at}.permissions[${j}]`;
      const p = obj(rawPermission, where, fail);
      known(p, ['principal', 'path', 'access'], where, fail);
      const path = nonEmpty(p.path, `${where}.path`, fail);
      if (!path.startsWith('/')) fail(`${where}.path must be an absolute endpoint path (start with /)`);
      if (p.access !== 'r' && p.access !== 'rw') fail(`${where}.access must be "r" or "rw"`);
      return {
        principal: knownClient(nonEmpty(p.principal, `${where}.principal`, fail), `${where}.principal`),
        path,
        access: p.access as Access,
      };
    });
  }
  return endpoint;
}
