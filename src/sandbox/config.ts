/**
 * Where the sandbox's world comes from: an optional JSON config file (clients, endpoints,
 * permissions, token lifetime) and `<data>/sandbox.json`, the world of the last start,
 * which keeps ids, secrets and the admin token stable across restarts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Access, ConfigPath, EntityType, Permission, SandboxClient, SandboxEndpoint, SandboxWorld } from './model.js';
import { defaultWorld } from './world.js';

export const WORLD_FILE = 'sandbox.json';
export const DEFAULT_TOKEN_LIFETIME = 172800;

/** A problem with a config or world file; the message is one line naming the file and the field. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

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
}

export interface SandboxConfig {
  token_lifetime?: number;
  admin_token?: string;
  clients?: ClientConfig[];
  endpoints?: EndpointConfig[];
}

const ENTITY_TYPES: readonly EntityType[] = ['GCP_mapped_collection', 'GCSv5_guest_collection', 'GCSv5_mapped_collection'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
  known(top, ['token_lifetime', 'admin_token', 'clients', 'endpoints'], 'the top level', fail);
  const config: SandboxConfig = {};
  if (top.token_lifetime !== undefined) config.token_lifetime = positiveInt(top.token_lifetime, 'token_lifetime', fail);
  if (top.admin_token !== undefined) config.admin_token = nonEmpty(top.admin_token, 'admin_token', fail);

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
    unique(config.clients.map((c) => c.name), 'client name', fail);
    unique(config.clients.flatMap((c) => (c.id ? [c.id] : [])), 'client id', fail);
  }
  const clientKeys = new Set((config.clients ?? []).flatMap((c) => [c.name, ...(c.id ? [c.id] : [])]));
  const knownClient = (name: string, at: string) => {
    if (config.clients && !clientKeys.has(name.replace(/@clients\.auth\.globus\.org$/, ''))) {
      fail(`${at} names no configured client: ${name}`);
    }
    return name;
  };

  if (top.endpoints !== undefined) {
    config.endpoints = list(top.endpoints, 'endpoints', fail).map((raw, i) => parseEndpoint(raw, `endpoints[${i}]`, base, fail, knownClient));
    unique(config.endpoints.map((e) => e.display_name), 'endpoint display_name', fail);
    unique(config.endpoints.flatMap((e) => (e.id ? [e.id] : [])), 'endpoint id', fail);
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
  known(e, ['display_name', 'entity_type', 'id', 'description', 'owner', 'root', 'home', 'config_paths', 'https', 'high_assurance', 'public', 'permissions'], at, fail);
  const entityType = e.entity_type;
  if (!ENTITY_TYPES.includes(entityType as EntityType)) fail(`${at}.entity_type must be one of ${ENTITY_TYPES.join(', ')}`);
  const personal = entityType === 'GCP_mapped_collection';
  const endpoint: EndpointConfig = { display_name: nonEmpty(e.display_name, `${at}.display_name`, fail), entity_type: entityType as EntityType };
  if (e.id !== undefined) endpoint.id = uuid(e.id, `${at}.id`, fail);
  if (e.description !== undefined) endpoint.description = str(e.description, `${at}.description`, fail);
  if (e.owner !== undefined) endpoint.owner = knownClient(nonEmpty(e.owner, `${at}.owner`, fail), `${at}.owner`);
  for (const flag of ['https', 'high_assurance', 'public'] as const) {
    if (e[flag] === undefined) continue;
    if (typeof e[flag] !== 'boolean') fail(`${at}.${flag} must be true or false`);
    endpoint[flag] = e[flag];
  }
  if (personal) {
    if (e.root !== undefined) fail(`${at}.root is for GCSv5 collections; a GCP_mapped_collection uses home and config_paths`);
    if (endpoint.https) fail(`${at}.https is for GCSv5 collections; Globus Connect Personal serves no HTTPS`);
    if (e.home !== undefined) endpoint.home = resolve(base, nonEmpty(e.home, `${at}.home`, fail));
    if (e.config_paths !== undefined) {
      endpoint.config_paths = list(e.config_paths, `${at}.config_paths`, fail).map((rawPath, j) => {
        const where = `${at}.config_paths[${j}]`;
        const p = obj(rawPath, where, fail);
        known(p, ['path', 'shareable', 'writable'], where, fail);
        for (const flag of ['shareable', 'writable'] as const) {
          if (p[flag] !== undefined && typeof p[flag] !== 'boolean') fail(`${where}.${flag} must be true or false`);
        }
        return { path: resolve(base, nonEmpty(p.path, `${where}.path`, fail)), shareable: p.shareable === true, writable: p.writable !== false };
      });
    }
  } else {
    if (e.home !== undefined || e.config_paths !== undefined) fail(`${at}: home and config_paths are for GCP_mapped_collection endpoints; a collection uses root`);
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
      return { principal: knownClient(nonEmpty(p.principal, `${where}.principal`, fail), `${where}.principal`), path, access: p.access as Access };
    });
  }
  return endpoint;
}

export interface BuildOptions {
  dataDir: string;
  /** The world of the last start: ids, secrets and the admin token are taken from it by name. */
  previous?: SandboxWorld;
  /** Home folder of a default personal endpoint. */
  home?: string;
}

/** The world a config describes; what the config leaves out comes from `previous` (matched by name), else is generated. */
export function buildWorld(config: SandboxConfig, { dataDir, previous, home }: BuildOptions): SandboxWorld {
  const defaults = defaultWorld({ dataDir, ...(home ? { home } : {}) });
  const clientConfigs = config.clients?.length ? config.clients : [{ name: defaults.clients[0]!.name }];
  const clients: SandboxClient[] = clientConfigs.map((c) => {
    const before = previous?.clients.find((p) => (c.id ? p.id === c.id : p.name === c.name));
    return {
      id: c.id ?? before?.id ?? randomUUID(),
      secret: c.secret ?? before?.secret ?? randomBytes(32).toString('base64url'),
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
    const permissions: Permission[] = (e.permissions ?? []).map((p) => ({
      principal: clientId(p.principal),
      path: p.path.endsWith('/') ? p.path : `${p.path}/`,
      access: p.access,
    }));
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
      const configPaths = e.config_paths ?? (e.home ? [{ path: e.home, shareable: false, writable: true }] : personalDefaults.configPaths!);
      return { ...common, home: e.home ?? configPaths[0]?.path ?? personalDefaults.home!, configPaths, https: false };
    }
    return { ...common, root: e.root ?? join(dataDir, 'collections', id), https: e.https ?? true };
  });

  return {
    clients,
    endpoints,
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

export interface LoadOptions {
  dataDir: string;
  configFile?: string;
  home?: string;
}

/**
 * The world for a start: from the config when one is given (keeping ids of the last
 * start), else the saved world, else the default one. Saves it to `<data>/sandbox.json`
 * (mode 0600: it holds secrets) and creates the collections' root folders.
 */
export async function loadWorld({ dataDir, configFile, home }: LoadOptions): Promise<SandboxWorld> {
  const saved = await readSavedWorld(dataDir);
  let world: SandboxWorld;
  if (configFile) world = buildWorld(await readConfigFile(configFile), { dataDir, ...(saved ? { previous: saved } : {}), ...(home ? { home } : {}) });
  else world = saved ?? buildWorld({}, { dataDir, ...(home ? { home } : {}) });
  await saveWorld(dataDir, world);
  for (const e of world.endpoints) if (e.root) await mkdir(e.root, { recursive: true });
  return world;
}

export async function saveWorld(dataDir: string, world: SandboxWorld): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const file = join(dataDir, WORLD_FILE);
  const temp = `${file}.${process.pid}.tmp`;
  const plain = { ...world, endpoints: world.endpoints.map(({ httpsServer: _served, ...rest }) => rest) };
  await writeFile(temp, `${JSON.stringify(plain, null, 2)}\n`, { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, file);
}

/** The world saved by an earlier start, or undefined on the first start. */
export async function readSavedWorld(dataDir: string): Promise<SandboxWorld | undefined> {
  const file = join(dataDir, WORLD_FILE);
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const fail = (message: string): never => {
    throw new ConfigError(`${file}: ${message} (delete the file to start over)`);
  };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    fail('not valid JSON');
  }
  const w = obj(value, 'the top level', fail);
  positiveInt(w.tokenLifetime, 'tokenLifetime', fail);
  text_(w.adminToken, 'adminToken');
  list(w.clients, 'clients', fail).forEach((c, i) => {
    const client = obj(c, `clients[${i}]`, fail);
    for (const key of ['id', 'secret', 'name']) text_(client[key], `clients[${i}].${key}`);
  });
  list(w.endpoints, 'endpoints', fail).forEach((e, i) => {
    const endpoint = obj(e, `endpoints[${i}]`, fail);
    for (const key of ['id', 'displayName', 'owner']) text_(endpoint[key], `endpoints[${i}].${key}`);
    if (!ENTITY_TYPES.includes(endpoint.entityType as EntityType)) fail(`endpoints[${i}].entityType is not a known entity type`);
    list(endpoint.permissions, `endpoints[${i}].permissions`, fail);
    if (endpoint.root === undefined && endpoint.configPaths === undefined) fail(`endpoints[${i}] has neither root nor configPaths`);
  });
  return value as SandboxWorld;

  function text_(v: unknown, at: string): void {
    nonEmpty(v, at, fail);
  }
}

function obj(value: unknown, at: string, fail: (m: string) => never): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail(`${at} must be a JSON object`);
  return value as Record<string, unknown>;
}

function list(value: unknown, at: string, fail: (m: string) => never): unknown[] {
  if (!Array.isArray(value)) fail(`${at} must be a JSON array`);
  return value as unknown[];
}

function str(value: unknown, at: string, fail: (m: string) => never): string {
  if (typeof value !== 'string') fail(`${at} must be a string`);
  return value as string;
}

function nonEmpty(value: unknown, at: string, fail: (m: string) => never): string {
  if (typeof value !== 'string' || value === '') fail(`${at} must be a non-empty string`);
  return value as string;
}

function uuid(value: unknown, at: string, fail: (m: string) => never): string {
  if (typeof value !== 'string' || !UUID.test(value)) fail(`${at} must be a UUID like 6f1e0c9a-1b2c-4d3e-8f90-0a1b2c3d4e5f`);
  return (value as string).toLowerCase();
}

function positiveInt(value: unknown, at: string, fail: (m: string) => never): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) fail(`${at} must be a positive integer`);
  return value as number;
}

function known(value: Record<string, unknown>, keys: string[], at: string, fail: (m: string) => never): void {
  const extra = Object.keys(value).find((k) => !keys.includes(k));
  if (extra !== undefined) fail(`${at} has an unknown key "${extra}" (allowed: ${keys.join(', ')})`);
}

function unique(values: string[], what: string, fail: (m: string) => never): void {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) fail(`${what} ${JSON.stringify(v)} appears twice`);
    seen.add(v);
  }
}
