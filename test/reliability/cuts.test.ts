/**
 * Connections cut in the middle: a cutting proxy (test/reliability/cutting-proxy.ts) in
 * front of the sandbox collection's HTTPS server cuts PUT and GET bodies after N bytes and
 * resets connections before the head, on the first attempt or on every one. A cut on the
 * first attempt is retried or resumed to the right bytes; a cut on every attempt is one
 * typed error, leaves no hidden upload on the collection and nothing in storage; the CLI
 * prints one `error: … [CODE]` line and never a stack trace.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isSregistryError } from '../../src/core/errors.js';
import { Registry } from '../../src/core/registry/registry.js';
import { closeHttp } from '../../src/core/http/index.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { assertBuilt, Cli, sandboxEnv } from '../cli/support.js';
import { answer, startHostileServer, type HostileServer } from './hostile-server.js';
import { startCuttingProxy, type CuttingProxy } from './cutting-proxy.js';
import { countProperty } from './ledger.js';
import { imageBytes } from '../support/files.js';

describe('connections cut in the middle', () => {
  let sb: TestSandbox;
  let transfer: HostileServer;
  let proxy: CuttingProxy;
  let run = 0;

  beforeAll(async () => {
    assertBuilt();
    sb = await startTestSandbox();
    proxy = await startCuttingProxy(sb.collection.httpsServer!);
    transfer = await startHostileServer(sb.url);
    // Endpoint documents name the cutting proxy as the collection's HTTPS server.
    transfer.rewrites.push(async (req, res, upstream) => {
      if (!/^\/v0\.10\/endpoint\/[^/?]+$/.test((req.url ?? '').split('?')[0]!)) return false;
      const got = await upstream();
      const doc = JSON.parse(got.body.toString()) as Record<string, unknown>;
      if (doc.https_server) doc.https_server = proxy.url;
      return answer(res, got.status, JSON.stringify(doc));
    });
  });
  afterAll(async () => {
    await closeHttp();
    await proxy.close();
    await transfer.close();
    await sb.stop();
  });
  afterEach(() => {
    proxy.rules.splice(0);
  });

  const registry = (name: string) =>
    new Registry({
      globus: {
        clientId: sb.client.id,
        clientSecret: sb.client.secret,
        authUrl: `${sb.url}/`,
        transferUrl: `${transfer.url}/`,
      },
      transport: 'https',
      storage: join(sb.tmp, `storage-${name}`),
      database: join(sb.tmp, `${name}.db`),
      retry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 10 },
    });

  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

  async function filesUnder(dir: string): Promise<string[]> {
    const all = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
    return all.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  }
  /** Hidden uploads on the collection, of one image (`img<n>`) or of all. */
  const hiddenUploads = async (image?: string) =>
    (await filesUnder(sb.collection.root!)).filter(
      (f) => f.endsWith('.partial') && (image === undefined || f.includes(`/cuts/${image}/`)),
    );
  const imageOf = (ref: string): string => /\/cuts\/([^:]+):/.exec(ref)![1]!;

  async function newImage(size: number): Promise<{ file: string; bytes: Buffer; ref: string }> {
    const bytes = imageBytes(size);
    const file = join(sb.tmp, `image-${++run}.sif`);
    await writeFile(file, bytes);
    return { file, bytes, ref: `globus://${sb.collection.id}/cuts/img${run}:v1` };
  }

  async function outcome(
    work: () => Promise<unknown>,
  ): Promise<{ ok: true } | { ok: false; code: string; message: string }> {
    try {
      await work();
      return { ok: true };
    } catch (err) {
      if (!isSregistryError(err)) throw err;
      return { ok: false, code: err.code, message: err.message };
    }
  }

  /** Pushes through the proxy and pulls it back; answers what each did. */
  async function pushThenPull(size: number) {
    const img = await newImage(size);
    const pusher = registry(`push${run}`);
    const puller = registry(`pull${run}`);
    try {
      const pushed = await outcome(() => pusher.push(img.file, img.ref));
      const pulled = pushed.ok ? await outcome(() => puller.pull(img.ref)) : undefined;
      return { img, pushed, pulled, storage: join(sb.tmp, `storage-pull${run}`) };
    } finally {
      await pusher.close();
      await puller.close();
    }
  }

  it('a PUT cut after 1 MiB on every attempt: one typed error, no hidden upload left on the collection', async () => {
    proxy.rules.push({ method: 'PUT', after: 1024 * 1024, when: 'every' });
    const { img, pushed } = await pushThenPull(3 * 1024 * 1024);
    expect(pushed.ok).toBe(false);
    expect(pushed.ok ? '' : pushed.code).toBe('NETWORK');
    expect(proxy.seen.filter((s) => s.method === 'PUT' && s.cut).length).toBe(3);
    expect(await hiddenUploads(imageOf(img.ref))).toEqual([]);
  });

  it('a PUT reset before the head on every attempt: one typed error, nothing hidden left', async () => {
    proxy.rules.push({ method: 'PUT', after: 'head', when: 'every' });
    const { img, pushed } = await pushThenPull(200 * 1024);
    expect(pushed.ok ? 'ok' : pushed.code).toBe('NETWORK');
    expect(await hiddenUploads(imageOf(img.ref))).toEqual([]);
  });

  it('a GET cut after 1 MiB on every attempt: resumed from where it stopped, then one typed error, nothing in storage', async () => {
    // Each attempt resumes with a Range request, so 1 MiB a try and 3 tries cannot bring 8 MiB.
    const img = await newImage(8 * 1024 * 1024);
    const seedRegistry = registry('seed-get');
    await seedRegistry.push(img.file, img.ref);
    await seedRegistry.close();
    proxy.rules.push({ method: 'GET', path: /\.sif$/, after: 1024 * 1024, when: 'every' });
    const r = registry('get-every');
    const pulled = await outcome(() => r.pull(img.ref));
    await r.close();
    expect(pulled.ok ? 'ok' : pulled.code).toBe('NETWORK');
    expect(proxy.seen.filter((s) => s.method === 'GET' && s.path.endsWith('.sif') && s.cut)).toHaveLength(3);
    expect((await filesUnder(join(sb.tmp, 'storage-get-every'))).filter((f) => f.endsWith('.sif'))).toEqual([]);
  });

  it('cuts of the first attempt at any point of PUT and GET bodies of any size: the right bytes arrive (property)', async () => {
    const runs = 12;
    await fc.assert(
      fc.asyncProperty(
        // From the SIF header's size up: a push takes SIF images only.
        fc.integer({ min: 64, max: 3 * 1024 * 1024 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.constantFrom<'PUT' | 'GET' | 'both'>('PUT', 'GET', 'both'),
        fc.boolean(),
        async (size, at, which, beforeHead) => {
          proxy.rules.splice(0);
          const after = beforeHead ? ('head' as const) : Math.floor(size * at);
          if (which !== 'GET') proxy.rules.push({ method: 'PUT', after, when: 'first' });
          if (which !== 'PUT') proxy.rules.push({ method: 'GET', path: /\.sif$/, after, when: 'first' });
          const seenBefore = proxy.seen.length;
          const { img, pushed, pulled, storage } = await pushThenPull(size);
          // Every PUT's first attempt (image, manifest, marker) and the image GET's were cut.
          const cut = new Set(
            proxy.seen
              .slice(seenBefore)
              .filter((s) => s.cut)
              .map((s) => s.method),
          );
          expect([...cut].sort()).toEqual(which === 'both' ? ['GET', 'PUT'] : [which]);
          expect(pushed).toEqual({ ok: true });
          expect(pulled).toEqual({ ok: true });
          const stored = (await filesUnder(storage)).filter((f) => f.endsWith('.sif'));
          expect(stored).toHaveLength(1);
          expect(sha(await readFile(stored[0]!))).toBe(sha(img.bytes));
          expect(await hiddenUploads(imageOf(img.ref))).toEqual([]);
          await rm(storage, { recursive: true, force: true });
        },
      ),
      { numRuns: runs },
    );
    countProperty('cut points and sizes of PUT and GET bodies', runs);
  });

  it('a 429 or a reset answered to upload PUTs before their body was read: retried, then one typed error; never a crash', async () => {
    const faults = sb.context.faults;
    // The sandbox answers these at once, while the client is still writing the body.
    faults.add({
      match: { method: 'PUT', origin: sb.collection.id },
      action: { kind: 'status', status: 429, retryAfter: 0 },
      times: 1,
    });
    faults.add({
      match: { method: 'PUT', origin: sb.collection.id },
      action: { kind: 'reset', afterBytes: 64 * 1024 },
      times: 1,
    });
    const ok = await pushThenPull(2 * 1024 * 1024);
    expect(ok.pushed).toEqual({ ok: true });
    expect(ok.pulled).toEqual({ ok: true });
    faults.add({
      match: { method: 'PUT', origin: sb.collection.id },
      action: { kind: 'status', status: 429, retryAfter: 0 },
      times: 1000,
    });
    const refused = await pushThenPull(2 * 1024 * 1024);
    faults.clear();
    expect(refused.pushed.ok ? 'ok' : refused.pushed.code).toBe('RATE_LIMITED');
    expect(await hiddenUploads(imageOf(refused.img.ref))).toEqual([]);
    // The first push's cut attempt may land at its hidden name after the retry revealed it:
    // the push looks again once it is done and removes it.
    expect(await hiddenUploads(imageOf(ok.img.ref))).toEqual([]);
  });

  it('onChunk sees every byte of a pull once, in order, across a cut and resume; throwing ends the pull with its error', async () => {
    const img = await newImage(1536 * 1024 + 17);
    const seed = registry('chunk-seed');
    await seed.push(img.file, img.ref);
    await seed.close();
    proxy.rules.push({ method: 'GET', path: /\.sif$/, after: 300 * 1024, when: 'first' });
    const seenBefore = proxy.seen.length;
    const pieces: Buffer[] = [];
    let expectedOffset = 0;
    const r = registry('chunk-pull');
    await r.pull(img.ref, {
      onChunk: (chunk, offset) => {
        expect(offset).toBe(expectedOffset);
        expectedOffset += chunk.length;
        pieces.push(Buffer.from(chunk));
      },
    });
    await r.close();
    expect(
      proxy.seen.slice(seenBefore).filter((s) => s.method === 'GET' && s.path.endsWith('.sif') && s.cut),
    ).toHaveLength(1);
    expect(sha(Buffer.concat(pieces))).toBe(sha(img.bytes));

    const refusing = registry('chunk-refuse');
    class Refused extends Error {}
    const err = await refusing
      .pull(img.ref, {
        onChunk: (_chunk, offset) => {
          if (offset > 0) throw new Refused('signature does not match');
        },
      })
      .catch((e: unknown) => e);
    await refusing.close();
    expect(err).toBeInstanceOf(Refused);
    expect((await filesUnder(join(sb.tmp, 'storage-chunk-refuse'))).filter((f) => f.endsWith('.sif'))).toEqual([]);
    // Over Transfer the one pass is the hash of the file the task brought.
    const viaTransfer = new Registry({
      globus: {
        clientId: sb.client.id,
        clientSecret: sb.client.secret,
        authUrl: `${sb.url}/`,
        transferUrl: `${sb.url}/`,
      },
      transport: 'transfer',
      localEndpoint: sb.personal.id,
      storage: join(sb.tmp, 'storage-chunk-transfer'),
      database: join(sb.tmp, 'chunk-transfer.db'),
    });
    const seen: Buffer[] = [];
    let next = 0;
    await viaTransfer.pull(img.ref, {
      onChunk: (chunk, offset) => {
        expect(offset).toBe(next);
        next += chunk.length;
        seen.push(Buffer.from(chunk));
      },
    });
    await viaTransfer.close();
    expect(sha(Buffer.concat(seen))).toBe(sha(img.bytes));
  });

  it('the CLI: a push whose every PUT is cut prints one error line with its code, no stack trace, and leaves nothing hidden', async () => {
    proxy.rules.push({ method: 'PUT', after: 256 * 1024, when: 'every' });
    const env = { ...(await sandboxEnv(sb)), GLOBUS_SDK_SERVICE_URL_TRANSFER: `${transfer.url}/` };
    const img = await newImage(1024 * 1024);
    const cli = new Cli(env);
    const res = await cli.run(['push', img.file, img.ref, '--transport', 'https']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).not.toMatch(/Node\.js v\d|^\s+at /m);
    const errors = res.stderr.split('\n').filter((l) => l.startsWith('error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/\[NETWORK\]$/);
    expect(await hiddenUploads(imageOf(img.ref))).toEqual([]);
  });
});
