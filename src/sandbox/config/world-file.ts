/** `<data>/sandbox.json`: the world of the last start, saved with its secrets (mode 0600). */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, ENTITY_TYPES, list, nonEmpty, obj, positiveInt } from './checks.js';
import { DEFAULT_BEHAVIOUR } from '../behaviour.js';
import type { EntityType, SandboxWorld } from '../model.js';

export const WORLD_FILE = 'sandbox.json';

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
    if (!ENTITY_TYPES.includes(endpoint.entityType as EntityType))
      fail(`endpoints[${i}].entityType is not a known entity type`);
    list(endpoint.permissions, `endpoints[${i}].permissions`, fail);
    if (endpoint.root === undefined && endpoint.configPaths === undefined)
      fail(`endpoints[${i}] has neither root nor configPaths`);
  });
  // A file saved before the behaviour switches existed takes the defaults.
  return {
    ...(value as SandboxWorld),
    behaviour: { ...DEFAULT_BEHAVIOUR, ...((w.behaviour as object | undefined) ?? {}) },
  };

  function text_(v: unknown, at: string): void {
    nonEmpty(v, at, fail);
  }
}
