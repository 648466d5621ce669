import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from '../../../src/core/registry/registry.js';
import type { Transport } from '../../../src/core/registry/types.js';
import { startTestSandbox, type TestSandbox } from '../../support/sandbox.js';
import { failure } from '../../support/errors.js';
import { closeCoreAndSandbox } from '../../support/lifecycle.js';
import { addCollectionUser, newClient } from '../../support/worlds.js';
import { callSummary, filesBelow, logIndex, makeRegistry, randomFile, requests } from './support.js';

const reader = newClient('reader', 'reader-secret-0123456789');
let sb: TestSandbox;
beforeAll(async () => {
  sb = await startTestSandbox((world) => addCollectionUser(world, reader)).then(async (started) => {
    // The reader may use the personal endpoint as its local endpoint.
    started.personal.permissions.push({ principal: reader.id, path: `${started.tmp}/`, access: 'rw' });
    return started;
  });
});
afterAll(() => closeCoreAndSandbox(sb));

const shub = (): string => join(sb.collection.root!, 'shub');
const uri = (rest: string): string => `globus://${sb.collection.id}/errors/${rest}`;

describe('registry failures', () => {
  it('says AUTH_FAILED for a wrong secret', async () => {
    const h = makeRegistry(
      sb,
      'https',
      { globus: { clientId: sb.client.id, clientSecret: 'wrong', authUrl: sb.url, transferUrl: sb.url } },
      'auth',
    );
    const err = await failure(h.registry.pull(uri('x')));
    expect(err.code).toBe('AUTH_FAILED');
    await h.registry.close();
  });

  it('says NOT_FOUND for an unknown endpoint id or name, and finds one by its exact display name', async () => {
    const h = makeRegistry(sb, 'https', {}, 'endpoints');
    expect((await failure(h.registry.pull(`globus://${randomUUID()}/errors/x`))).code).toBe('NOT_FOUND');
    const byName = await failure(h.registry.pull('globus://no-such-endpoint/errors/x'));
    expect(byName.code).toBe('NOT_FOUND');
    expect(byName.message).toMatch(/exactly "no-such-endpoint"/);
    const [pushed] = await h.registry.push(
      await randomFile(sb, 'named.bin', 100),
      'globus://sandbox-collection/errors/named',
    );
    expect(pushed!.endpoint).toBe(sb.collection.id);
    await h.registry.close();
  });

  it('refuses a transport that cannot work, naming what to set', async () => {
    const file = await randomFile(sb, 'transport.bin', 100);
    const https = makeRegistry(sb, 'https', {}, 'no-https');
    const e1 = await failure(https.registry.push(file, `globus://${sb.personal.id}/errors/x`));
    expect(e1.code).toBe('INVALID_INPUT');
    expect(e1.message).toMatch(/no https_server/);
    const transfer = makeRegistry(sb, 'transfer', { localEndpoint: undefined }, 'no-local');
    const e2 = await failure(transfer.registry.push(file, uri('x')));
    expect(e2.code).toBe('INVALID_INPUT');
    expect(e2.message).toMatch(/SREGISTRY_GLOBUS_LOCAL_ENDPOINT/);
    await https.registry.close();
    await transfer.registry.close();
  });

  it('says NO_REGISTRY when listing an endpoint without one', async () => {
    const h = makeRegistry(sb, 'https', { root: '/nowhere/' }, 'noreg');
    const err = await failure(h.registry.search(undefined, { endpoint: sb.collection.id }));
    expect(err.code).toBe('NO_REGISTRY');
    expect(err.message).toMatch(/\/nowhere\//);
    await h.registry.close();
  });

  it.each<Transport>(['https', 'transfer'])(
    'refuses a push to a read-only collection over %s, leaving nothing visible',
    async (transport) => {
      const owner = makeRegistry(sb, 'https', {}, `owner-${transport}`);
      await owner.registry.push(await randomFile(sb, `owner-${transport}.bin`, 100), uri('owned'));
      await owner.registry.close();
      const h = makeRegistry(
        sb,
        transport,
        { globus: { clientId: reader.id, clientSecret: reader.secret, authUrl: sb.url, transferUrl: sb.url } },
        `reader-${transport}`,
      );
      const err = await failure(
        h.registry.push(await randomFile(sb, `ro-${transport}.bin`, 100), uri(`readonly-${transport}`)),
      );
      expect(err.code).toBe('PERMISSION_DENIED');
      expect(await filesBelow(join(shub(), 'errors', `readonly-${transport}`))).toEqual([]);
      // Reading works for the same client.
      expect((await h.registry.record(uri('owned'))).status).toBe('recorded');
      await h.registry.close();
    },
  );

  it('leaves nothing behind when an upload is cut, and a rerun succeeds', async () => {
    const h = makeRegistry(sb, 'https', {}, 'cut');
    const file = await randomFile(sb, 'cut.bin', 300_000);
    const rule = sb.context.faults.add({
      match: { origin: sb.collection.id, method: 'PUT' },
      action: { kind: 'reset', afterBytes: 50_000 },
      times: 3,
    });
    const err = await failure(h.registry.push(file, uri('cut')));
    expect(err.code).toBe('NETWORK');
    expect(rule.times).toBe(0);
    expect(await filesBelow(join(shub(), 'errors', 'cut'))).toEqual([]);
    const [pushed] = await h.registry.push(file, uri('cut'));
    expect(pushed!.status).toBe('pushed');
    expect(await filesBelow(join(shub(), 'errors', 'cut'))).toHaveLength(2);
    await h.registry.close();
  });

  it('retries 429 and 503, but not an ExternalError', async () => {
    const h = makeRegistry(sb, 'https', {}, 'retry');
    await h.registry.push(await randomFile(sb, 'retry.bin', 100), uri('retry'));
    sb.context.faults.add({ match: { path: '/ls$' }, action: { kind: 'status', status: 503 } });
    sb.context.faults.add({
      match: { origin: sb.collection.id, method: 'GET' },
      action: { kind: 'status', status: 429, retryAfter: 0 },
    });
    const pulled = await h.registry.pull(uri('retry'));
    expect(pulled.status).toBe('pulled');

    sb.context.faults.add({
      match: { path: '/ls$' },
      action: { kind: 'status', status: 502, code: 'ExternalError.DirListingFailed.GCDisconnected' },
      times: 5,
    });
    const since = logIndex(sb);
    const err = await failure(h.registry.record(uri('retry')));
    expect(err.code).toBe('EXTERNAL_ERROR');
    expect(callSummary(requests(sb, since)).filter((c) => c === 'GET ls')).toHaveLength(1);
    sb.context.faults.clear();
    await h.registry.close();
  });

  it('cancels the Transfer task when the caller aborts', async () => {
    const controller = new AbortController();
    const h = makeRegistry(
      sb,
      'transfer',
      { onEvent: (e) => e.type === 'step' && e.message.startsWith('waiting for transfer task') && controller.abort() },
      'abort',
    );
    sb.context.faults.add({
      match: { taskType: 'TRANSFER' },
      action: { kind: 'task-inactive', niceStatus: 'HELD_BY_TEST' },
    });
    const since = logIndex(sb);
    const err = await failure(
      h.registry.push(await randomFile(sb, 'abort.bin', 100), uri('aborted'), { signal: controller.signal }),
    );
    expect(err.code).toBe('ABORTED');
    expect(callSummary(requests(sb, since)).some((c) => /^POST task\/.+\/cancel$/.test(c))).toBe(true);
    expect((await filesBelow(join(shub(), 'errors', 'aborted'))).filter((f) => !f.startsWith('.'))).toEqual([]);
    await h.registry.close();
  });

  it('answers inspect and images from local records without credentials', async () => {
    const h = makeRegistry(sb, 'https', {}, 'local');
    await h.registry.pull(uri('retry')).catch(() => undefined);
    await h.registry.push(await randomFile(sb, 'local.bin', 100), uri('local:v1'));
    await h.registry.record(uri('local:v1'));
    await h.registry.close();
    const offline = new Registry({
      globus: { clientId: '', clientSecret: '' },
      database: join(sb.tmp, 'records-local.db'),
      storage: join(sb.tmp, 'x'),
    });
    const images = await offline.images('errors/local');
    expect(images.map((i) => `${i.collection}/${i.name}:${i.tag}`)).toEqual(['errors/local:v1']);
    expect(await offline.inspect('errors/local:v1')).toMatchObject({ image: null, tag: 'v1' });
    expect(await offline.inspect('errors/local:v2')).toBeUndefined();
    await offline.close();
  });
});

describe('search', () => {
  it('finds endpoints by words', async () => {
    const h = makeRegistry(sb, 'https', {}, 'epsearch');
    const hits = await h.registry.search('sandbox-collection');
    expect(hits.map((x) => x.endpoint?.id)).toContain(sb.collection.id);
    expect(hits.every((x) => x.kind === 'endpoint')).toBe(true);
    await h.registry.close();
  });

  it('lists 10,000 images with one ls per folder, no per-image calls', async () => {
    const root = join(sb.collection.root!, 'big');
    await mkdir(root, { recursive: true });
    await writeFile(join(root, '.sregistry'), '{"layout":1}\n');
    const version = (i: number): string => i.toString(16).padStart(64, '0');
    let n = 0;
    for (const c of ['coll-a', 'coll-b']) {
      for (let i = 0; i < 50; i++) {
        const dir = join(root, c, `img-${String(i).padStart(2, '0')}`);
        await mkdir(dir, { recursive: true });
        for (let t = 0; t < 100; t++) {
          const v = version(n++);
          const tag = `tag-${String(t).padStart(3, '0')}`;
          // Sync writes: 20,000 tiny files are created far faster this way than with promises.
          closeSync(openSync(join(dir, `${tag}@${v}.sif`), 'w'));
          closeSync(openSync(join(dir, `${tag}@${v}.sif.json`), 'w'));
        }
      }
    }
    const h = makeRegistry(sb, 'https', { root: '/big/' }, 'big');
    let since = logIndex(sb);
    const all = await h.registry.search(undefined, { endpoint: sb.collection.id });
    expect(all).toHaveLength(10_000);
    const calls = callSummary(requests(sb, since));
    expect(calls.filter((c) => c === 'GET ls')).toHaveLength(1 + 2 + 100);
    expect(calls.filter((c) => c !== 'GET ls')).toEqual(['GET endpoint', 'GET stat']);

    since = logIndex(sb);
    const one = await h.registry.search('coll-a/img-07', { endpoint: sb.collection.id });
    expect(one).toHaveLength(100);
    expect(callSummary(requests(sb, since)).filter((c) => c === 'GET ls')).toHaveLength(3);

    since = logIndex(sb);
    const tagged = await h.registry.search('tag-005', { endpoint: sb.collection.id });
    expect(tagged).toHaveLength(100);
    expect(tagged.every((x) => x.image?.tag === 'tag-005')).toBe(true);
    // Answers the sandbox's rate limit refused (429, retried) are not listings.
    expect(callSummary(requests(sb, since).filter((r) => r.status !== 429)).filter((c) => c === 'GET ls')).toHaveLength(
      103,
    );

    const colon = await h.registry.search('img-49:tag-09', { endpoint: sb.collection.id });
    expect(colon).toHaveLength(2 * 10);
    await h.registry.close();
  });
});
