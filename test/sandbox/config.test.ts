import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/sandbox/config/checks.js';
import { parseConfig, readConfigFile } from '../../src/sandbox/config/config-file.js';
import { loadWorld } from '../../src/sandbox/config/load-world.js';
import { WORLD_FILE } from '../../src/sandbox/config/world-file.js';
import { buildWorld } from '../../src/sandbox/config/world-from-config.js';

describe('sandbox config', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'sregistry-config-'));
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  const example = {
    token_lifetime: 600,
    clients: [{ name: 'ci' }, { name: 'reader', id: '6F1E0C9A-1B2C-4D3E-8F90-0A1B2C3D4E5F', secret: 's3cret' }],
    endpoints: [
      {
        display_name: 'lab-registry',
        entity_type: 'GCSv5_guest_collection',
        root: 'storage/lab',
        permissions: [{ principal: 'reader', path: '/shub', access: 'r' }],
      },
      { display_name: 'mapped', entity_type: 'GCSv5_mapped_collection', high_assurance: true, owner: 'reader' },
      {
        display_name: 'laptop',
        entity_type: 'GCP_mapped_collection',
        config_paths: [{ path: '/srv/images', writable: false }],
        permissions: [
          {
            principal: '6f1e0c9a-1b2c-4d3e-8f90-0a1b2c3d4e5f@clients.auth.globus.org',
            path: '/srv/images/',
            access: 'rw',
          },
        ],
      },
    ],
  };

  it('builds a world from a config, resolving names and relative paths', () => {
    const config = parseConfig(example, join(tmp, 'cfg', 'sandbox-config.json'));
    const world = buildWorld(config, { dataDir: join(tmp, 'data') });
    expect(world.tokenLifetime).toBe(600);
    const [ci, reader] = world.clients;
    expect(reader).toEqual({ id: '6f1e0c9a-1b2c-4d3e-8f90-0a1b2c3d4e5f', secret: 's3cret', name: 'reader' });
    expect(ci!.secret.length).toBeGreaterThan(20);
    const [lab, mapped, laptop] = world.endpoints;
    expect(lab).toMatchObject({
      owner: ci!.id,
      root: join(tmp, 'cfg', 'storage', 'lab'),
      https: true,
      highAssurance: false,
    });
    expect(lab!.permissions).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        principalType: 'identity',
        principal: reader!.id,
        path: '/shub/',
        access: 'r',
      },
    ]);
    // The config's rules keep their ids across starts.
    expect(buildWorld(config, { dataDir: join(tmp, 'data'), previous: world }).endpoints[0]!.permissions[0]!.id).toBe(
      lab!.permissions[0]!.id,
    );
    expect(mapped).toMatchObject({
      owner: reader!.id,
      highAssurance: true,
      root: join(tmp, 'data', 'collections', mapped!.id),
    });
    expect(laptop).toMatchObject({
      https: false,
      home: '/srv/images',
      configPaths: [{ path: '/srv/images', shareable: false, writable: false }],
      permissions: [{ principalType: 'identity', principal: reader!.id, path: '/srv/images/', access: 'rw' }],
    });
  });

  it('keeps generated ids and secrets of the previous world, matched by name', () => {
    const config = parseConfig(example, join(tmp, 'c.json'));
    const first = buildWorld(config, { dataDir: tmp });
    const second = buildWorld(config, { dataDir: tmp, previous: first });
    expect(second.clients).toEqual(first.clients);
    expect(second.endpoints.map((e) => e.id)).toEqual(first.endpoints.map((e) => e.id));
    expect(second.adminToken).toBe(first.adminToken);
    const fresh = buildWorld(config, { dataDir: tmp });
    expect(fresh.clients[0]!.id).not.toBe(first.clients[0]!.id);
  });

  it('keeps the rules made through the API at the last start, and drops config rules the config no longer has', () => {
    const config = parseConfig(example, join(tmp, 'c.json'));
    const first = buildWorld(config, { dataDir: tmp });
    const lab = first.endpoints[0]!;
    const reader = first.clients[1]!;
    lab.permissions.push({
      id: randomUUID(),
      principalType: 'all_authenticated_users',
      principal: '',
      path: '/open/',
      access: 'r',
      createTime: '2026-12-07T03:00:00+00:00',
      expirationDate: null,
    });
    const second = buildWorld(config, { dataDir: tmp, previous: first });
    expect(second.endpoints[0]!.permissions.map((p) => [p.principalType, p.path])).toEqual([
      ['identity', '/shub/'],
      ['all_authenticated_users', '/open/'],
    ]);
    const without = structuredClone(example) as { endpoints: Array<{ permissions?: unknown }> };
    delete without.endpoints[0]!.permissions;
    const third = buildWorld(parseConfig(without, join(tmp, 'c.json')), { dataDir: tmp, previous: second });
    expect(third.endpoints[0]!.permissions.map((p) => p.path)).toEqual(['/open/']);
    expect(reader.id).toBe(third.clients[1]!.id);
  });

  it('falls back to the default endpoints and one client when the config leaves them out', () => {
    const world = buildWorld(parseConfig({}, 'x.json'), { dataDir: join(tmp, 'd'), home: join(tmp, 'home') });
    expect(world.clients).toHaveLength(1);
    expect(world.endpoints.map((e) => e.entityType)).toEqual(['GCP_mapped_collection', 'GCSv5_guest_collection']);
    expect(world.endpoints[0]!.home).toBe(join(tmp, 'home'));
    expect(world.endpoints[1]!.root).toBe(join(tmp, 'd', 'collections', world.endpoints[1]!.id));
    expect(world.tokenLifetime).toBe(172800);
  });

  it.each([
    [[], 'the top level must be a JSON object'],
    [{ colour: 1 }, 'unknown key "colour"'],
    [{ token_lifetime: 0 }, 'token_lifetime must be a positive integer'],
    [{ clients: [{ name: 'a' }, { name: 'a' }] }, 'client name "a" appears twice'],
    [{ clients: [{ name: 'a', id: 'nope' }] }, 'clients[0].id must be a UUID'],
    [{ endpoints: [{ display_name: 'x', entity_type: 'GCSv4' }] }, 'endpoints[0].entity_type must be one of'],
    [
      { endpoints: [{ display_name: '', entity_type: 'GCSv5_guest_collection' }] },
      'endpoints[0].display_name must be a non-empty string',
    ],
    [
      { endpoints: [{ display_name: 'x', entity_type: 'GCP_mapped_collection', https: true }] },
      'endpoints[0].https is for GCSv5',
    ],
    [
      { endpoints: [{ display_name: 'x', entity_type: 'GCSv5_guest_collection', home: '/h' }] },
      'home and config_paths are for GCP',
    ],
    [
      {
        endpoints: [
          {
            display_name: 'x',
            entity_type: 'GCSv5_guest_collection',
            permissions: [{ principal: 'a', path: 'rel', access: 'r' }],
          },
        ],
      },
      'permissions[0].path must be an absolute',
    ],
    [
      {
        endpoints: [
          {
            display_name: 'x',
            entity_type: 'GCSv5_guest_collection',
            permissions: [{ principal: 'a', path: '/', access: 'w' }],
          },
        ],
      },
      'access must be "r" or "rw"',
    ],
    [
      {
        clients: [{ name: 'a' }],
        endpoints: [{ display_name: 'x', entity_type: 'GCSv5_guest_collection', owner: 'b' }],
      },
      'endpoints[0].owner names no configured client: b',
    ],
    [
      {
        endpoints: [
          { display_name: 'x', entity_type: 'GCSv5_guest_collection' },
          { display_name: 'x', entity_type: 'GCSv5_guest_collection' },
        ],
      },
      'display_name "x" appears twice',
    ],
  ])('refuses %j with a one-line message', (value, message) => {
    let error: unknown;
    try {
      parseConfig(value, 'conf.json');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message.startsWith('conf.json: ')).toBe(true);
    expect((error as Error).message).not.toContain('\n');
  });

  it('names unreadable and malformed files', async () => {
    await expect(readConfigFile(join(tmp, 'missing.json'))).rejects.toThrow(/missing\.json: cannot read it \(ENOENT\)/);
    const broken = join(tmp, 'broken.json');
    await writeFile(broken, '{ "clients": [');
    await expect(readConfigFile(broken)).rejects.toThrow(/broken\.json: not valid JSON/);
  });

  it('saves the world with mode 0600 and reuses it on the next load, with or without the config', async () => {
    const dataDir = join(tmp, 'persist');
    const configFile = join(tmp, 'persist-config.json');
    await writeFile(
      configFile,
      JSON.stringify({ endpoints: [{ display_name: 'store', entity_type: 'GCSv5_guest_collection' }] }),
    );
    const first = await loadWorld({ dataDir, configFile });
    const saved = join(dataDir, WORLD_FILE);
    expect((await stat(saved)).mode & 0o777).toBe(0o600);
    expect((await stat(first.endpoints[0]!.root!)).isDirectory()).toBe(true);

    const again = await loadWorld({ dataDir, configFile });
    expect(again.clients).toEqual(first.clients);
    expect(again.endpoints[0]!.id).toBe(first.endpoints[0]!.id);

    const withoutConfig = await loadWorld({ dataDir });
    expect(withoutConfig).toEqual(first);

    // A config change applies on restart while ids of unchanged names stay.
    await writeFile(
      configFile,
      JSON.stringify({
        token_lifetime: 60,
        endpoints: [
          { display_name: 'store', entity_type: 'GCSv5_guest_collection' },
          { display_name: 'more', entity_type: 'GCSv5_guest_collection' },
        ],
      }),
    );
    const changed = await loadWorld({ dataDir, configFile });
    expect(changed.tokenLifetime).toBe(60);
    expect(changed.endpoints[0]!.id).toBe(first.endpoints[0]!.id);
    expect(changed.endpoints).toHaveLength(2);
    expect(JSON.parse(await readFile(saved, 'utf8')).endpoints).toHaveLength(2);
  });

  it('a world saved with the old default (home, temp and data folders shared) is rebuilt to share nothing, ids and secrets kept', async () => {
    const dataDir = join(tmp, 'old-default');
    const first = await loadWorld({ dataDir });
    expect(first.endpoints[0]!.configPaths!.map((c) => c.path)).toEqual([join(dataDir, 'personal')]);
    const saved = join(dataDir, WORLD_FILE);
    const world = JSON.parse(await readFile(saved, 'utf8'));
    world.endpoints[0].home = homedir();
    world.endpoints[0].configPaths = [homedir(), tmpdir(), dataDir].map((path) => ({
      path,
      shareable: false,
      writable: true,
    }));
    await writeFile(saved, JSON.stringify(world));
    const again = await loadWorld({ dataDir });
    expect(again.endpoints[0]!.configPaths!.map((c) => c.path)).toEqual([join(dataDir, 'personal')]);
    expect(again.endpoints.map((e) => e.id)).toEqual(first.endpoints.map((e) => e.id));
    expect(again.clients).toEqual(first.clients);
    // Chosen on purpose (a config's paths) is kept.
    world.endpoints[0].configPaths = [{ path: tmpdir(), shareable: false, writable: true }];
    await writeFile(saved, JSON.stringify(world));
    expect((await loadWorld({ dataDir })).endpoints[0]!.configPaths!.map((c) => c.path)).toEqual([tmpdir()]);
  });

  it('refuses a damaged saved world', async () => {
    const dataDir = join(tmp, 'damaged');
    await loadWorld({ dataDir, home: tmp });
    const saved = join(dataDir, WORLD_FILE);
    const world = JSON.parse(await readFile(saved, 'utf8'));
    world.endpoints[0].entityType = 'Nope';
    world.clients[0].id = randomUUID();
    await writeFile(saved, JSON.stringify(world));
    await expect(loadWorld({ dataDir })).rejects.toThrow(
      /sandbox\.json: endpoints\[0\]\.entityType is not a known entity type/,
    );
  });
});
