/**
 * Every answer bounded before it is read: a hostile collection server (hostile-server.ts)
 * in front of the sandbox streams bodies past the size the listing gave, manifests and a
 * `.sregistry` marker without end, drips bytes, and lists a 256 MiB marker. Each ends in
 * a typed error; the disk never holds more than the listed size (sampled while the pull
 * runs), the server is cut off soon after the bound, the process's memory does not grow
 * with what the server sends, and a drip ends by the floor rate instead of never.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isSregistryError } from '../../src/core/errors.js';
import { MAX_MANIFEST_BYTES } from '../../src/core/manifest.js';
import { Registry } from '../../src/core/registry/registry.js';
import { closeHttp } from '../../src/core/http/index.js';
import { DEFAULT_SPEED_FLOOR } from '../../src/core/http/streamed-exchange.js';
import { DEFAULT_RETRY } from '../../src/core/http/retry.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { randomFile, seedImage } from '../nodered/seed.js';
import { answer, startHostileServer, type HostileServer } from './hostile-server.js';

const IMAGE_SIZE = 2 * 1024 * 1024;

/** Streams random bytes (chunked: no length) until the client goes away or `max` is sent; answers how many went out. */
function streamForever(res: ServerResponse, first: Buffer, max = 512 * 1024 * 1024): Promise<number> {
  return new Promise((resolve) => {
    const block = randomBytes(1024 * 1024);
    let sent = 0;
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const pump = (): void => {
      while (sent < max && !res.destroyed) {
        const piece = sent === 0 && first.length > 0 ? first : block;
        sent += piece.length;
        if (!res.write(piece)) {
          res.once('drain', pump);
          return;
        }
      }
      if (!res.destroyed) res.end();
      resolve(sent);
    };
    res.on('close', () => resolve(sent));
    pump();
  });
}

/** Largest total size of the files below `dir`, sampled every few ms until stopped. */
function watchDisk(dir: string): { stop: () => Promise<number> } {
  let max = 0;
  let running = true;
  const sample = async (): Promise<void> => {
    while (running) {
      const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
      let total = 0;
      for (const e of entries)
        if (e.isFile()) total += (await stat(join(e.parentPath, e.name)).catch(() => ({ size: 0 }))).size;
      max = Math.max(max, total);
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  const loop = sample();
  return {
    stop: async () => {
      running = false;
      await loop;
      return max;
    },
  };
}

describe('answers bounded before they are read', () => {
  let sb: TestSandbox;
  let transfer: HostileServer;
  let collection: HostileServer;
  let storage: string;
  const uri = () => `globus://${sb.collection.id}/lab/app:v1`;
  const path = (req: { url?: string | undefined }): string => (req.url ?? '').split('?')[0]!;

  beforeAll(async () => {
    sb = await startTestSandbox();
    await seedImage(sb, 'lab/app:v1', IMAGE_SIZE);
    transfer = await startHostileServer(sb.url);
    collection = await startHostileServer(sb.collection.httpsServer!);
    storage = join(sb.tmp, 'bounded-storage');
  });
  afterAll(async () => {
    await closeHttp();
    await transfer.close();
    await collection.close();
    await sb.stop();
  });
  afterEach(async () => {
    transfer.rewrites.splice(0);
    collection.rewrites.splice(0);
    collection.takeovers.splice(0);
    collection.seen.splice(0);
    await rm(storage, { recursive: true, force: true });
    for (const suffix of ['', '-wal', '-shm']) await rm(join(sb.tmp, `bounded.db${suffix}`), { force: true });
  });

  /** Endpoint documents name the hostile collection server. */
  const viaHostile = async (
    req: { url?: string | undefined },
    res: ServerResponse,
    upstream: () => Promise<{ status: number; body: Buffer }>,
  ): Promise<boolean> => {
    if (!/^\/v0\.10\/endpoint\/[^/?]+$/.test(path(req))) return false;
    const got = await upstream();
    const doc = JSON.parse(got.body.toString()) as Record<string, unknown>;
    if (doc.https_server) doc.https_server = collection.url;
    return answer(res, got.status, JSON.stringify(doc));
  };

  const registry = (extra: Partial<ConstructorParameters<typeof Registry>[0]> = {}) =>
    new Registry({
      globus: {
        clientId: sb.client.id,
        clientSecret: sb.client.secret,
        authUrl: `${sb.url}/`,
        transferUrl: `${transfer.url}/`,
      },
      transport: 'https',
      storage,
      database: join(sb.tmp, 'bounded.db'),
      retry: { maxRetries: 1, baseDelayMs: 5, maxDelayMs: 10 },
      ...extra,
    });

  async function failure(
    work: (r: Registry) => Promise<unknown>,
    extra: Partial<ConstructorParameters<typeof Registry>[0]> = {},
  ): Promise<{ code: string; message: string }> {
    const r = registry(extra);
    try {
      await work(r);
    } catch (err) {
      if (!isSregistryError(err)) throw err;
      return { code: err.code, message: err.message };
    } finally {
      await r.close();
    }
    throw new Error('expected the operation to fail');
  }

  async function filesUnder(dir: string): Promise<string[]> {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
    return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  }
  const hiddenUploads = async (): Promise<string[]> =>
    (await filesUnder(sb.collection.root!)).filter((f) => f.endsWith('.partial'));

  const storedImages = async (): Promise<string[]> =>
    (await readdir(storage, { recursive: true }).catch(() => [])).filter((f) => String(f).endsWith('.sif')).map(String);

  it('an image body streamed past the listed size: typed error, the disk never holds more than the listed size', async () => {
    transfer.rewrites.push(viaHostile);
    let sent: Promise<number> | undefined;
    collection.rewrites.push(async (req, res, upstream) => {
      if (req.method !== 'GET' || !path(req).endsWith('.sif')) return false;
      const honest = (await upstream()).body;
      sent = streamForever(res, honest);
      await sent;
      return true;
    });
    const disk = watchDisk(storage);
    const got = await failure((r) => r.pull(uri()));
    const maxOnDisk = await disk.stop();
    expect(got.code).toBe('INVALID_RESPONSE');
    expect(got.message).toMatch(/sent more than the 2097152 bytes/);
    expect(maxOnDisk).toBeLessThanOrEqual(IMAGE_SIZE);
    // Cut off soon after the bound: socket buffers, not the 512 MiB on offer.
    expect(await sent!).toBeLessThan(IMAGE_SIZE + 64 * 1024 * 1024);
    expect(await storedImages()).toEqual([]);
  });

  it('a manifest streamed without end: typed error, at most its listed size on disk', async () => {
    transfer.rewrites.push(viaHostile);
    let sent: Promise<number> | undefined;
    collection.rewrites.push((req, res) => {
      if (req.method !== 'GET' || !path(req).endsWith('.json')) return false;
      sent = streamForever(res, Buffer.from('{"version":'));
      return sent.then(() => true);
    });
    const disk = watchDisk(storage);
    const got = await failure((r) => r.pull(uri()));
    const maxOnDisk = await disk.stop();
    expect(got.code).toBe('INVALID_RESPONSE');
    expect(maxOnDisk).toBeLessThanOrEqual(MAX_MANIFEST_BYTES);
    expect(await sent!).toBeLessThan(64 * 1024 * 1024);
  });

  it('a body that drips ends by the floor rate, is retried like a reset, and fails with TIMEOUT', async () => {
    transfer.rewrites.push(viaHostile);
    collection.rewrites.push(async (req, res, upstream) => {
      if (req.method !== 'GET' || !path(req).endsWith('.sif')) return false;
      const got = await upstream();
      const honest = got.body;
      // A resumed attempt asks for the rest: answer it as the server did (206), only slowly.
      res.writeHead(got.status, {
        'content-type': 'application/octet-stream',
        'content-length': String(honest.length),
        ...(got.headers['content-range'] ? { 'content-range': String(got.headers['content-range']) } : {}),
      });
      let at = 0;
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          if (res.destroyed || at >= honest.length) {
            clearInterval(timer);
            resolve();
            return;
          }
          res.write(honest.subarray(at, at + 1));
          at++;
        }, 50);
      });
      return true;
    });
    const started = performance.now();
    const got = await failure((r) => r.pull(uri()), { speedFloor: { bytesPerSecond: 1000, windowMs: 400 } });
    const elapsed = performance.now() - started;
    expect(got.code).toBe('TIMEOUT');
    expect(got.message).toMatch(/SREGISTRY_BODY_TOO_SLOW/);
    // Two attempts (one retry), the second a Range request from where the first stopped.
    expect(collection.seen.filter((s) => s.method === 'GET' && s.path.endsWith('.sif'))).toHaveLength(2);
    // Bounded by the floor's windows, not by the 2 MiB at 20 bytes/s (29 hours).
    expect(elapsed).toBeLessThan(30_000);
    expect(await storedImages()).toEqual([]);
  });

  it('the default floor ends a drip of one byte every 5 s in under 3 minutes, retries and backoff included', async () => {
    // The default floor and retry policy run as they are, on a compressed clock: every wait
    // of the floor (its windows) and of the retries (backoff) takes SCALE of its time, and
    // the server drips at the same scale. The waits are summed as the time they stand for.
    const SCALE = 1 / 200;
    let waited = 0;
    const clock = {
      setTimeout: (fn: () => void, ms: number) =>
        setTimeout(() => {
          waited += ms;
          fn();
        }, ms * SCALE),
      clearTimeout: (handle: unknown) => clearTimeout(handle as NodeJS.Timeout),
    };
    const sleep = async (ms: number): Promise<void> => {
      await new Promise((r) => setTimeout(r, ms * SCALE));
      waited += ms;
    };
    transfer.rewrites.push(viaHostile);
    collection.rewrites.push(async (req, res, upstream) => {
      if (req.method !== 'GET' || !path(req).endsWith('.sif')) return false;
      const got = await upstream();
      res.writeHead(got.status, {
        'content-type': 'application/octet-stream',
        'content-length': String(got.body.length),
        ...(got.headers['content-range'] ? { 'content-range': String(got.headers['content-range']) } : {}),
      });
      let at = 0;
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          if (res.destroyed || at >= got.body.length) {
            clearInterval(timer);
            resolve();
            return;
          }
          res.write(got.body.subarray(at, at + 1));
          at++;
        }, 5000 * SCALE);
      });
      return true;
    });
    const got = await failure((r) => r.pull(uri()), {
      speedFloor: { ...DEFAULT_SPEED_FLOOR, clock },
      retry: { sleep },
    });
    expect(got.code).toBe('TIMEOUT');
    expect(got.message).toMatch(/SREGISTRY_BODY_TOO_SLOW/);
    // Every attempt the default policy allows, each ended by the floor.
    expect(collection.seen.filter((s) => s.method === 'GET' && s.path.endsWith('.sif'))).toHaveLength(
      DEFAULT_RETRY.maxRetries + 1,
    );
    expect(waited).toBeGreaterThanOrEqual((DEFAULT_RETRY.maxRetries + 1) * DEFAULT_SPEED_FLOOR.windowMs);
    expect(waited).toBeLessThan(180_000);
    expect(await storedImages()).toEqual([]);
  });

  /**
   * A collection PUT that passes its first `passed` bytes on to the sandbox, then stops
   * reading (or reads one byte every `dripMs`) until the client goes away, when the
   * upstream PUT is cut too (what the sandbox keeps of it is the push's to remove).
   */
  const stallingPut =
    (passed: number, dripMs?: number) =>
    (req: IncomingMessage, res: ServerResponse): boolean => {
      if (req.method !== 'PUT' || !path(req).endsWith('.partial')) return false;
      const origin = new URL(sb.collection.httpsServer!);
      const upstream = httpRequest(new URL(req.url!, origin), {
        method: 'PUT',
        headers: { ...req.headers, host: origin.host },
      });
      upstream.on('error', () => undefined);
      upstream.on('response', (r) => r.resume());
      let got = 0;
      let drip: NodeJS.Timeout | undefined;
      const onData = (chunk: Buffer): void => {
        if (got < passed) upstream.write(chunk.subarray(0, passed - got));
        got += chunk.length;
        if (got < passed) return;
        req.off('data', onData);
        req.pause();
        if (dripMs !== undefined) drip = setInterval(() => void req.read(1), dripMs);
      };
      req.on('data', onData);
      const gone = (): void => {
        clearInterval(drip);
        upstream.destroy();
      };
      req.on('close', gone);
      res.on('close', gone);
      return true;
    };

  it.each([
    ['stops reading', undefined],
    ['reads one byte every 5 s of', 5000],
  ])(
    'a PUT body the server %s: ended by the default floor, retried like a reset, TIMEOUT, no hidden upload left',
    async (_what, dripEveryMs) => {
      // As for the drip of a download above: the default floor and retry policy on a compressed clock.
      const SCALE = 1 / 200;
      let waited = 0;
      const clock = {
        setTimeout: (fn: () => void, ms: number) =>
          setTimeout(() => {
            waited += ms;
            fn();
          }, ms * SCALE),
        clearTimeout: (handle: unknown) => clearTimeout(handle as NodeJS.Timeout),
      };
      const sleep = async (ms: number): Promise<void> => {
        await new Promise((r) => setTimeout(r, ms * SCALE));
        waited += ms;
      };
      transfer.rewrites.push(viaHostile);
      collection.takeovers.push(stallingPut(256 * 1024, dripEveryMs === undefined ? undefined : dripEveryMs * SCALE));
      // Larger than what the socket buffers on both sides take before the sender must wait.
      const file = await randomFile(sb, 'stalled-put.sif', 64 * 1024 * 1024);
      const got = await failure((r) => r.push(file, `globus://${sb.collection.id}/lab/stalled:v1`), {
        speedFloor: { ...DEFAULT_SPEED_FLOOR, clock },
        retry: { sleep },
      });
      expect(got.code).toBe('TIMEOUT');
      expect(got.message).toMatch(/SREGISTRY_BODY_TOO_SLOW/);
      expect(collection.seen.filter((s) => s.method === 'PUT' && s.path.endsWith('.partial'))).toHaveLength(
        DEFAULT_RETRY.maxRetries + 1,
      );
      // Each attempt ended by the floor's windows (the first may still see the socket buffers fill).
      expect(waited).toBeGreaterThanOrEqual((DEFAULT_RETRY.maxRetries + 1) * DEFAULT_SPEED_FLOOR.windowMs);
      expect(waited).toBeLessThan(6 * 60_000);
      expect(await hiddenUploads()).toEqual([]);
      await rm(file, { force: true });
    },
  );

  it('a PUT answered 200 with a body without end: typed error, the server cut off soon after the bound', async () => {
    transfer.rewrites.push(viaHostile);
    let sent: Promise<number> | undefined;
    collection.rewrites.push((req, res) => {
      if (req.method !== 'PUT' || !path(req).endsWith('.partial')) return false;
      sent = streamForever(res, Buffer.alloc(0));
      return sent.then(() => true);
    });
    const file = await randomFile(sb, 'endless-put.sif', 10_000);
    const got = await failure((r) => r.push(file, `globus://${sb.collection.id}/lab/endless:v1`));
    expect(got.code).toBe('INVALID_RESPONSE');
    expect(got.message).toMatch(/HTTP 200 answer has a body over 128 KiB/);
    expect(await sent!).toBeLessThan(64 * 1024 * 1024);
  });

  it('a marker listed at 256 MiB is refused from its listed size: no GET of it', async () => {
    transfer.rewrites.push(viaHostile, async (req, res, upstream) => {
      if (!path(req).endsWith('/stat') || !decodeURIComponent(req.url ?? '').includes('.sregistry')) return false;
      const got = await upstream();
      const entry = JSON.parse(got.body.toString()) as Record<string, unknown>;
      if (got.status === 200) entry.size = 256 * 1024 * 1024;
      return answer(res, got.status, JSON.stringify(entry));
    });
    const file = await randomFile(sb, 'marker-listed.sif', 10_000);
    const got = await failure((r) => r.push(file, `globus://${sb.collection.id}/lab/marker:v1`));
    expect(got.code).toBe('INVALID_RESPONSE');
    expect(got.message).toMatch(/\.sregistry .*268435456 bytes/);
    expect(collection.seen.filter((s) => s.path.endsWith('.sregistry'))).toEqual([]);
  });

  it('a marker listed small but served as 256 MiB: the read stops at its bound, memory does not follow', async () => {
    transfer.rewrites.push(viaHostile);
    let sent: Promise<number> | undefined;
    collection.rewrites.push((req, res) => {
      if (req.method !== 'GET' || !path(req).endsWith('.sregistry')) return false;
      sent = streamForever(res, Buffer.alloc(0), 256 * 1024 * 1024);
      return sent.then(() => true);
    });
    const file = await randomFile(sb, 'marker-served.sif', 10_000);
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 5);
    const got = await failure((r) => r.push(file, `globus://${sb.collection.id}/lab/marker2:v1`));
    clearInterval(sampler);
    expect(got.code).toBe('INVALID_RESPONSE');
    expect(got.message).toMatch(/\.sregistry.*65536 bytes/);
    expect(await sent!).toBeLessThan(64 * 1024 * 1024);
    expect(rssPeak - rssBefore).toBeLessThan(96 * 1024 * 1024);
  });
});
