/**
 * The cache-service stand-in against the real clients: @actions/cache (save, then restore
 * in a fresh workspace, as two jobs would) and the Azure SDK's block upload.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { BlockBlobClient } from '@azure/storage-blob';
import { readBlob, startCacheServer, type CacheServer } from './cache-server.js';

const run = promisify(execFile);
const CACHE_LIB = pathToFileURL(join(process.cwd(), 'node_modules/@actions/cache/lib/cache.js')).href;

// A job step that uses @actions/cache: argv = save|restore, path, key.
const STEP = `
const [lib, op, path, key] = process.argv.slice(1);
const cache = await import(lib);
const out = op === 'save' ? await cache.saveCache([path], key) : await cache.restoreCache([path], key);
console.log('RESULT ' + JSON.stringify(out ?? null));
`;

describe('cache service stand-in', () => {
  let server: CacheServer;
  let root: string;
  beforeAll(async () => {
    server = await startCacheServer();
    root = await mkdtemp(join(tmpdir(), 'sregistry-cachetest-'));
  });
  afterAll(async () => {
    await server.close();
    await rm(root, { recursive: true, force: true });
  });

  const step = async (workspace: string, op: 'save' | 'restore', path: string, key: string): Promise<string> => {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', STEP, CACHE_LIB, op, path, key], {
      cwd: workspace,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        GITHUB_WORKSPACE: workspace,
        RUNNER_TEMP: join(root, 'temp'),
        ...server.env(),
      },
    });
    return stdout;
  };

  it('saves with @actions/cache and restores into a fresh workspace', async () => {
    const first = join(root, 'ws1');
    const second = join(root, 'ws2');
    await mkdir(join(first, 'images'), { recursive: true });
    await mkdir(second, { recursive: true });
    const bytes = randomBytes(50_000);
    await writeFile(join(first, 'images', 'a.sif'), bytes);

    const saved = await step(first, 'save', 'images/a.sif', 'key-1');
    expect(saved).toMatch(/RESULT 1\b/);
    expect(server.requests.map((r) => r.operation)).toEqual([
      'CreateCacheEntry',
      'put-blob',
      'FinalizeCacheEntryUpload',
    ]);
    expect(server.requests[1]!.headers['x-ms-blob-type']).toBe('BlockBlob');

    const restored = await step(second, 'restore', 'images/a.sif', 'key-1');
    expect(restored).toContain('RESULT "key-1"');
    expect((await readFile(join(second, 'images', 'a.sif'))).equals(bytes)).toBe(true);

    const miss = await step(second, 'restore', 'images/a.sif', 'key-2');
    expect(miss).toContain('RESULT null');
  });

  it('assembles a blob from Put Block and Put Block List', async () => {
    // Reserve an entry through twirp to get a signed URL, as @actions/cache does.
    const res = await fetch(`${server.url}/twirp/github.actions.results.api.v1.CacheService/CreateCacheEntry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ key: 'blocks', version: 'v' }),
    });
    const { signed_upload_url: url } = (await res.json()) as { signed_upload_url: string };
    const file = join(root, 'big.bin');
    const bytes = randomBytes(10_000);
    await writeFile(file, bytes);
    const before = server.requests.length;
    await new BlockBlobClient(url).uploadFile(file, { blockSize: 4096, maxSingleShotSize: 1024, concurrency: 2 });
    const ops = server.requests.slice(before).map((r) => r.operation);
    expect(ops.filter((o) => o === 'put-block')).toHaveLength(3);
    expect(ops.at(-1)).toBe('put-block-list');

    const fin = await fetch(`${server.url}/twirp/github.actions.results.api.v1.CacheService/FinalizeCacheEntryUpload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ key: 'blocks', version: 'v', size_bytes: '10000' }),
    });
    expect(await fin.json()).toEqual({ ok: true, entry_id: expect.any(String) });
    expect((await readBlob(server, 'blocks'))?.equals(bytes)).toBe(true);
  });

  it('refuses a wrong runtime token and a wrong blob signature', async () => {
    const res = await fetch(`${server.url}/twirp/github.actions.results.api.v1.CacheService/GetCacheEntryDownloadURL`, {
      method: 'POST',
      headers: { authorization: 'Bearer nope', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(401);
    const blob = server.entries().find((e) => e.finalized)!;
    const bad = await fetch(`${server.url}/devstoreaccount1/actions-cache/${blob.blob}?sig=wrong`);
    expect(bad.status).toBe(403);
  });
});
