/**
 * The Action's pull, run as the runner runs it, with the Actions cache served by the
 * cache-service stand-in: a first job downloads and saves, a second job restores and
 * downloads nothing from the collection.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeSif } from '../../src/core/sif.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { fileSha256 as sha256 } from '../support/files.js';
import { startCacheServer, type CacheServer } from './cache-server.js';
import { newJob, runAction, sandboxInputs, visibleText, type ActionRun } from './runner.js';

let sb: TestSandbox;
let cache: CacheServer;
let version: string;

const inputs = (extra: Record<string, string> = {}): Record<string, string> =>
  sandboxInputs(sb, { command: 'pull', name: 'lab/app', cache: 'true', ...extra });

beforeAll(async () => {
  sb = await startTestSandbox();
  cache = await startCacheServer();
  const job = await newJob();
  await writeSif(join(job.workspace, 'app.sif'), { payloadBytes: Buffer.alloc(200_000, 7), created: new Date(0) });
  version = await sha256(join(job.workspace, 'app.sif'));
  const pushed = await runAction({ job, inputs: { ...inputs(), command: 'push', images: 'app.sif', tags: 'v1' } });
  expect(pushed.code).toBe(0);
});
afterAll(async () => {
  await cache.close();
  await sb.stop();
});

/** Requests to the collection's HTTPS origin that fetched image bytes, and Transfer task submissions. */
const imageDownloads = (since: number) =>
  sb.context.faults.log
    .slice(since)
    .filter(
      (r) =>
        (r.origin === sb.collection.id && r.method === 'GET' && r.path.endsWith('.sif')) ||
        (r.method === 'POST' && r.path.endsWith('/transfer')),
    );

const outputFiles = (run: ActionRun): string[] => JSON.parse(run.outputs.files ?? '[]') as string[];

describe('action pull', () => {
  it('downloads and saves to the cache, then a fresh job restores it without downloading the image', async () => {
    const key = `sregistry-globus-lab-app-${version}`;
    const first = await newJob();
    let since = sb.context.faults.log.length;
    const one = await runAction({ job: first, inputs: inputs({ tags: 'v1' }), env: cache.env() });
    expect(one.errors).toEqual([]);
    expect(one.code).toBe(0);
    const file = join(first.workspace, 'images', 'app_v1.sif');
    expect(outputFiles(one)).toEqual([file]);
    expect(await sha256(file)).toBe(version);
    expect(one.outputs.version).toBe(version);
    expect(one.outputs['cache-hit']).toBe('false');
    expect(imageDownloads(since)).toHaveLength(1);
    expect(
      cache
        .entries()
        .filter((e) => e.finalized)
        .map((e) => e.key),
    ).toEqual([key]);
    expect(one.summary).toMatch(/<td>lab\/app:v1<\/td>.*<td>pulled<\/td>/s);
    expect(await readdir(join(first.workspace, 'images'))).toEqual(['app_v1.sif']);

    const second = await newJob();
    since = sb.context.faults.log.length;
    const two = await runAction({ job: second, inputs: inputs({ tags: 'v1' }), env: cache.env() });
    expect(two.errors).toEqual([]);
    expect(two.code).toBe(0);
    const restored = join(second.workspace, 'images', 'app_v1.sif');
    expect(outputFiles(two)).toEqual([restored]);
    expect(await sha256(restored)).toBe(version);
    expect(imageDownloads(since)).toEqual([]);
    // The version was still resolved on the collection (a manifest read, no image bytes).
    expect(
      sb.context.faults.log.slice(since).some((r) => r.origin === sb.collection.id && /Z\.json$/.test(r.path)),
    ).toBe(true);
    expect(two.summary).toMatch(/<td>cached<\/td>/);
    expect(two.outputs['cache-hit']).toBe('true');
    expect((JSON.parse(two.outputs.results!) as Array<{ status: string }>).map((r) => r.status)).toEqual(['cached']);
    expect(cache.requests.filter((r) => r.operation === 'get-blob' && r.status === 200)).toHaveLength(1);
    for (const run of [one, two]) {
      const text = visibleText(run);
      expect(text).not.toContain(sb.client.secret);
      for (const t of sb.context.tokens.all()) expect(text).not.toContain(t);
    }
  });

  it('saves one cache entry, with one download, for several tags naming one version', async () => {
    const job = await newJob();
    await writeSif(join(job.workspace, 'twin.sif'), { payloadBytes: Buffer.alloc(150_000, 9), created: new Date(0) });
    const twin = await sha256(join(job.workspace, 'twin.sif'));
    // Capitals are folded, and the core's note says so once per run, as a warning, on push and on pull.
    const pushed = await runAction({
      job,
      inputs: { ...inputs(), command: 'push', name: 'Lab/twin', images: 'twin.sif', tags: 'a B c' },
    });
    expect(pushed.code).toBe(0);
    expect(pushed.warnings).toEqual([
      expect.stringMatching(/pushing names and tags are lower case .*"Lab\/twin" as "lab\/twin", "B" as "b"/),
    ]);

    const puller = await newJob();
    const since = sb.context.faults.log.length;
    const blobsBefore = cache.requests.filter((r) => r.operation === 'put-blob' || r.operation === 'put-block').length;
    const run = await runAction({
      job: puller,
      inputs: inputs({ name: 'lab/Twin', tags: 'a, b, c' }),
      env: cache.env(),
    });
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    for (const tag of ['a', 'b', 'c'])
      expect(await sha256(join(puller.workspace, 'images', `twin_${tag}.sif`))).toBe(twin);
    expect(imageDownloads(since)).toHaveLength(1);
    expect(
      cache
        .entries()
        .filter((e) => e.key.includes(twin))
        .map((e) => e.key),
    ).toEqual([`sregistry-globus-lab-twin-${twin}`]);
    expect(
      cache.requests.filter((r) => r.operation === 'put-blob' || r.operation === 'put-block').length - blobsBefore,
    ).toBe(1);
    expect(run.warnings).toEqual([
      expect.stringMatching(/resolving names and tags are lower case .*"lab\/Twin" as "lab\/twin"$/),
    ]);
    expect(
      (JSON.parse(run.outputs.results!) as Array<{ tag: string; status: string }>).map((r) => [r.tag, r.status]),
    ).toEqual([
      ['a', 'pulled'],
      ['b', 'pulled'],
      ['c', 'pulled'],
    ]);

    // The next job restores the one entry once and fills all three tags from it.
    const again = await newJob();
    const gets = cache.requests.filter((r) => r.operation === 'get-blob').length;
    const restored = await runAction({
      job: again,
      inputs: inputs({ name: 'lab/twin', tags: 'a b c' }),
      env: cache.env(),
    });
    expect(restored.code).toBe(0);
    expect(restored.outputs['cache-hit']).toBe('true');
    expect(cache.requests.filter((r) => r.operation === 'get-blob').length - gets).toBe(1);
  });

  it('warns and downloads when the toolkit cannot tell whether there is a cache service', async () => {
    const job = await newJob();
    const since = sb.context.faults.log.length;
    const run = await runAction({
      job,
      inputs: inputs({ tags: 'v1' }),
      env: { ...cache.env(), GITHUB_SERVER_URL: 'not a url' },
    });
    expect(run.code).toBe(0);
    expect(run.errors).toEqual([]);
    expect(run.warnings.some((w) => w.includes('Could not tell whether the Actions cache service is available'))).toBe(
      true,
    );
    expect(imageDownloads(since)).toHaveLength(1);
    expect(await sha256(join(job.workspace, 'images', 'app_v1.sif'))).toBe(version);
  });

  it('warns and downloads when the runner has no cache service', async () => {
    const job = await newJob();
    const since = sb.context.faults.log.length;
    const run = await runAction({ job, inputs: inputs({ tags: 'v1' }) });
    expect(run.code).toBe(0);
    expect(run.errors).toEqual([]);
    expect(run.warnings.some((w) => w.includes('The Actions cache service is not available'))).toBe(true);
    expect(imageDownloads(since)).toHaveLength(1);
    expect(await sha256(join(job.workspace, 'images', 'app_v1.sif'))).toBe(version);
  });

  it('without the cache input, never asks the cache service: caching is off unless asked for', async () => {
    const job = await newJob();
    const before = cache.requests.length;
    const noCache = inputs({ tags: 'v1' });
    delete noCache.cache;
    const run = await runAction({ job, inputs: noCache, env: cache.env() });
    expect(run.code).toBe(0);
    expect(run.outputs['cache-hit']).toBe('false');
    expect(cache.requests.length).toBe(before);
    expect(await sha256(join(job.workspace, 'images', 'app_v1.sif'))).toBe(version);
  });

  it('with cache: false, never asks the cache service', async () => {
    const job = await newJob();
    const before = cache.requests.length;
    const run = await runAction({
      job,
      inputs: inputs({ tags: 'v1', cache: 'false', 'pull-to': 'out' }),
      env: cache.env(),
    });
    expect(run.code).toBe(0);
    expect(run.warnings).toEqual([]);
    expect(cache.requests.length).toBe(before);
    expect(await sha256(join(job.workspace, 'out', 'app_v1.sif'))).toBe(version);
  });

  it('fails once with NOT_FOUND for a missing tag and leaves no file behind, not even the tags pulled before it', async () => {
    const job = await newJob();
    const run = await runAction({ job, inputs: inputs({ tags: 'v1\nnope' }) });
    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/\(code NOT_FOUND/);
    expect(await readdir(join(job.workspace, 'images')).catch(() => [])).toEqual([]);
    expect(run.summary).toContain('<strong>Failed:</strong>');
  });

  it('leaves a file that was already in pull-to untouched when the run fails', async () => {
    const job = await newJob();
    const earlier = join(job.workspace, 'images', 'app_v1.sif');
    await mkdir(dirname(earlier), { recursive: true });
    await writeFile(earlier, 'the image an earlier step put here');
    const run = await runAction({ job, inputs: inputs({ tags: 'v1\nnope' }), env: cache.env() });
    expect(run.code).toBe(1);
    expect(await readFile(earlier, 'utf8')).toBe('the image an earlier step put here');
    expect(await readdir(join(job.workspace, 'images'))).toEqual(['app_v1.sif']);
  });
});
