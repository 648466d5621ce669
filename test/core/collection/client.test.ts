import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { startTestSandbox, type TestSandbox } from '../../support/sandbox.js';
import { sandboxTokens } from '../../support/clients.js';
import { caught } from '../../support/errors.js';
import { closeCoreAndSandbox, resetFaults } from '../../support/lifecycle.js';
import { waitFor } from '../../support/wait.js';
import { newClient } from '../../support/worlds.js';
import type { RetryInfo } from '../../../src/core/http/index.js';
import { CollectionHttpsClient, type ApiCall, type CollectionTarget } from '../../../src/core/collection/index.js';
import { requestsTo } from '../http-support.js';

const FAST = { baseDelayMs: 1, maxDelayMs: 20 };
const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

describe('collection HTTPS client', () => {
  let sb: TestSandbox;
  let target: CollectionTarget;
  let root: string;
  let client: CollectionHttpsClient;
  let retries: RetryInfo[];
  const stranger = newClient('stranger', 'stranger-secret');
  const content = randomBytes(3 * 1024 * 1024 + 12_345);
  let n = 0;
  /** A fresh destination in the sandbox's temp folder. */
  const temp = (): string => join(sb.tmp, `download-${++n}.bin`);
  const collectionLog = (path: string, method: string) => requestsTo(sb, path, 1, method);

  beforeAll(async () => {
    sb = await startTestSandbox((world) => {
      world.clients.push(stranger);
    });
    target = { httpsServer: sb.collection.httpsServer!, collectionId: sb.collection.id };
    root = sb.collection.root!;
    client = new CollectionHttpsClient({
      tokens: sandboxTokens(sb, { retry: FAST }),
      retry: { ...FAST, onRetry: (info) => retries.push(info) },
    });
    await mkdir(join(root, 'data'), { recursive: true });
    await writeFile(join(root, 'data', 'image.sif'), content);
  });
  beforeEach(() => {
    retries = [];
    resetFaults(sb);
  });
  afterAll(() => closeCoreAndSandbox(sb));

  describe('upload', () => {
    it('streams a file to the collection and hashes it in the same pass', async () => {
      const file = join(sb.tmp, 'upload.bin');
      await writeFile(file, content);
      const progress: Array<[number, number | undefined]> = [];
      const result = await client.upload(
        target,
        '/data/uploaded.sif',
        { file },
        { onProgress: (sent, total) => progress.push([sent, total]) },
      );
      expect(result).toEqual({ sha256: sha256(content), size: content.length, attempts: 1 });
      const onDisk = await readFile(join(root, 'data', 'uploaded.sif'));
      expect(sha256(onDisk)).toBe(sha256(content));
      expect(progress.at(-1)).toEqual([content.length, content.length]);
      expect(progress.length).toBeGreaterThan(1);
      const [put] = await collectionLog('/data/uploaded.sif', 'PUT');
      expect(put?.status).toBe(200);
      expect(put?.clientId).toBe(sb.client.id);
    });

    it('uploads from a stream of unknown size', async () => {
      const pieces = [randomBytes(70_000), Buffer.from('middle'), randomBytes(300_000)];
      const result = await client.upload(target, '/data/streamed.bin', { stream: () => Readable.from(pieces) });
      const whole = Buffer.concat(pieces);
      expect(result).toEqual({ sha256: sha256(whole), size: whole.length, attempts: 1 });
      expect((await readFile(join(root, 'data', 'streamed.bin'))).equals(whole)).toBe(true);
    });

    it('percent-encodes each path segment', async () => {
      const name = '/data/a name #1 100%.bin';
      expect(client.url(target, name)).toBe(`${target.httpsServer}/data/a%20name%20%231%20100%25.bin`);
      await client.upload(target, name, { stream: () => Readable.from([Buffer.from('odd name')]), size: 8 });
      expect(await readFile(join(root, 'data', 'a name #1 100%.bin'), 'utf8')).toBe('odd name');
    });

    it('refuses dot segments instead of sending them', async () => {
      let thrown: unknown;
      try {
        client.url(target, '/data/../../escape.bin');
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toMatchObject({ code: 'UNSAFE_PATH' });
      const err = await caught(
        client.upload(target, '/data/./x.bin', { stream: () => Readable.from([Buffer.from('x')]) }),
      );
      expect(err.code).toBe('UNSAFE_PATH');
    });

    it('re-reads and re-hashes the file when a reset cuts the PUT', async () => {
      const file = join(sb.tmp, 'upload-reset.bin');
      await writeFile(file, content);
      sb.context.faults.add({
        match: { origin: sb.collection.id, method: 'PUT' },
        action: { kind: 'reset', afterBytes: 200_000 },
        times: 1,
      });
      const result = await client.upload(target, '/data/after-reset.sif', { file });
      expect(result).toEqual({ sha256: sha256(content), size: content.length, attempts: 2 });
      expect(sha256(await readFile(join(root, 'data', 'after-reset.sif')))).toBe(sha256(content));
      const puts = await requestsTo(sb, '/data/after-reset.sif', 2, 'PUT');
      expect(puts.map((p) => p.fault)).toEqual(['reset', undefined]);
      expect(retries.length).toBe(1);
      expect(retries[0]?.errorCode).toBeDefined();
      expect((await readdir(join(root, 'data'))).filter((f) => f.includes('.put-'))).toEqual([]);
    });

    it('waits as Retry-After says on a 503 and sends again', async () => {
      sb.context.faults.add({
        match: { origin: sb.collection.id, method: 'PUT' },
        action: { kind: 'status', status: 503, retryAfter: 1 },
        times: 1,
      });
      const result = await client.upload(target, '/data/after-503.bin', {
        stream: () => Readable.from([Buffer.from('second try')]),
      });
      expect(result.size).toBe(10);
      expect(await readFile(join(root, 'data', 'after-503.bin'), 'utf8')).toBe('second try');
      expect(retries).toEqual([expect.objectContaining({ status: 503, delaySource: 'retry-after' })]);
    });

    it('says the folder does not exist when the parent is missing', async () => {
      const err = await caught(
        client.upload(target, '/nowhere/x.bin', { stream: () => Readable.from([Buffer.from('x')]) }),
      );
      expect(err.code).toBe('NOT_FOUND');
      expect(err.status).toBe(409);
      expect(err.message).toMatch(/folder \/nowhere does not exist/);
    });

    it('reports a missing local file as NOT_FOUND before sending anything', async () => {
      const err = await caught(client.upload(target, '/data/never.bin', { file: join(sb.tmp, 'no-such-file.bin') }));
      expect(err.code).toBe('NOT_FOUND');
      expect(err.message).toContain('no-such-file.bin');
      expect(sb.context.faults.log.filter((e) => e.method === 'PUT')).toEqual([]);
    });

    it('fails with LOCAL_IO when the source stream breaks', async () => {
      const broken = () =>
        Readable.from(
          (async function* () {
            yield Buffer.from('start');
            throw new Error('disk went away');
          })(),
        );
      const err = await caught(client.upload(target, '/data/broken.bin', { stream: broken }));
      expect(err.code).toBe('LOCAL_IO');
      expect(err.message).toContain('disk went away');
      expect(await readdir(join(root, 'data'))).not.toContain('broken.bin');
    });
  });

  describe('a large file (several write stages and upload buffers)', () => {
    const big = randomBytes(64 * 1024 * 1024 + 1_234_567);
    beforeAll(() => writeFile(join(sb.tmp, 'big.bin'), big));

    it('uploads with a reset mid-way, then downloads with a cut resumed, each hash right', async () => {
      sb.context.faults.add({
        match: { origin: sb.collection.id, method: 'PUT' },
        action: { kind: 'reset', afterBytes: 20_000_000 },
        times: 1,
      });
      const up = await client.upload(target, '/data/big.sif', { file: join(sb.tmp, 'big.bin') });
      expect(up).toEqual({ sha256: sha256(big), size: big.length, attempts: 2 });
      expect(sha256(await readFile(join(root, 'data', 'big.sif')))).toBe(sha256(big));

      sb.context.faults.add({
        match: { origin: sb.collection.id, method: 'GET' },
        action: { kind: 'reset', afterBytes: 30_000_000 },
        times: 1,
      });
      const dest = temp();
      const down = await client.download(target, '/data/big.sif', dest, { expectedSize: big.length });
      expect(down).toEqual({ sha256: sha256(big), size: big.length });
      expect(sha256(await readFile(dest))).toBe(sha256(big));
      expect((await requestsTo(sb, '/data/big.sif', 2, 'GET')).map((g) => g.status)).toEqual([200, 206]);
    });

    it('onStage sees the file in order in the shared buffers the hash thread reads, each held until its promise settles, across a cut', async () => {
      sb.context.faults.add({
        match: { origin: sb.collection.id, method: 'GET' },
        action: { kind: 'reset', afterBytes: 25_000_000 },
        times: 1,
      });
      const seen = createHash('sha256');
      let next = 0;
      let stages = 0;
      let shared = 0;
      await writeFile(join(root, 'data', 'big-staged.sif'), big);
      const down = await client.download(target, '/data/big-staged.sif', temp(), {
        expectedSize: big.length,
        onStage: async (view, offset) => {
          expect(offset).toBe(next);
          next += view.length;
          stages++;
          if (view.buffer instanceof SharedArrayBuffer) shared++;
          const copy = Buffer.from(view);
          // Held a while: the buffer must not be refilled meanwhile.
          await new Promise((r) => setTimeout(r, 2));
          expect(Buffer.from(view).equals(copy)).toBe(true);
          seen.update(view);
        },
      });
      expect(down).toEqual({ sha256: sha256(big), size: big.length });
      expect(next).toBe(big.length);
      expect(seen.digest('hex')).toBe(sha256(big));
      expect(shared).toBe(stages);
      expect(stages).toBeGreaterThan(big.length / (8 * 1024 * 1024));
      expect((await requestsTo(sb, '/data/big-staged.sif', 2, 'GET')).map((g) => g.status)).toEqual([200, 206]);
    });
  });

  describe('download', () => {
    it('streams a file into the destination with its hash', async () => {
      const dest = temp();
      const progress: number[] = [];
      const result = await client.download(target, '/data/image.sif', dest, {
        onProgress: (bytes, total) => (expect(total).toBe(content.length), progress.push(bytes)),
      });
      expect(result).toEqual({ sha256: sha256(content), size: content.length });
      expect((await readFile(dest)).equals(content)).toBe(true);
      expect(progress.at(-1)).toBe(content.length);
    });

    it('resumes a cut body with a range request and keeps hashing', async () => {
      sb.context.faults.add({
        match: { origin: sb.collection.id, method: 'GET' },
        action: { kind: 'reset', afterBytes: 100_000 },
        times: 1,
      });
      const dest = temp();
      const result = await client.download(target, '/data/image.sif', dest);
      expect(result).toEqual({ sha256: sha256(content), size: content.length });
      expect(sha256(await readFile(dest))).toBe(sha256(content));
      const gets = await requestsTo(sb, '/data/image.sif', 2, 'GET');
      expect(gets).toHaveLength(2);
      expect(gets[0]).toMatchObject({ status: 200, fault: 'reset' });
      // 206 is only ever sent for a satisfiable Range header: the second GET asked for the rest.
      expect(gets[1]).toMatchObject({ status: 206 });
      expect(retries).toHaveLength(1);
    });

    it('gives up with NETWORK once the retry policy is spent', async () => {
      const once = new CollectionHttpsClient({
        tokens: sandboxTokens(sb, { retry: FAST }),
        retry: { ...FAST, maxRetries: 1 },
      });
      sb.context.faults.add({
        match: { origin: sb.collection.id, method: 'GET' },
        action: { kind: 'reset', afterBytes: 50_000 },
        times: 2,
      });
      const err = await caught(once.download(target, '/data/image.sif', temp()));
      expect(err.code).toBe('NETWORK');
      expect(err.message).toMatch(/cut 2 times/);
    });

    it('starts over when the file changed before the resume', async () => {
      const path = join(root, 'data', 'changing.bin');
      const first = randomBytes(400_000);
      const second = randomBytes(300_000);
      await writeFile(path, first);
      sb.context.faults.add({
        match: { origin: sb.collection.id, method: 'GET' },
        action: { kind: 'reset', afterBytes: 100_000 },
        times: 1,
      });
      let changed = false;
      const staged: Array<{ offset: number; bytes: Buffer }> = [];
      const result = await client.download(target, '/data/changing.bin', temp(), {
        onStage: (view, offset) => void staged.push({ offset, bytes: Buffer.from(view) }),
        onProgress: () => {
          if (changed) return;
          changed = true;
          writeFileSync(path, second);
          const later = new Date(Date.now() + 60_000);
          utimesSync(path, later, later);
        },
      });
      expect(result).toEqual({ sha256: sha256(second), size: second.length });
      const gets = await requestsTo(sb, '/data/changing.bin', 2, 'GET');
      expect(gets.map((g) => g.status)).toEqual([200, 200]);
      // The stage observer saw the first body from 0, then the new file from 0 again.
      const restart = staged.findLastIndex((st) => st.offset === 0);
      expect(restart).toBeGreaterThan(0);
      expect(staged[0]!.bytes.equals(first.subarray(0, staged[0]!.bytes.length))).toBe(true);
      expect(sha256(Buffer.concat(staged.slice(restart).map((st) => st.bytes)))).toBe(sha256(second));
    });

    it('fails when the rest of the file is no longer there (416)', async () => {
      const path = join(root, 'data', 'shrinking.bin');
      await writeFile(path, randomBytes(400_000));
      const { atime, mtime } = await stat(path);
      sb.context.faults.add({
        match: { origin: sb.collection.id, method: 'GET' },
        action: { kind: 'reset', afterBytes: 100_000 },
        times: 1,
      });
      let shrunk = false;
      const err = await caught(
        client.download(target, '/data/shrinking.bin', temp(), {
          onProgress: () => {
            if (shrunk) return;
            shrunk = true;
            truncateSync(path, 0);
            utimesSync(path, atime, mtime);
          },
        }),
      );
      expect(err.code).toBe('INVALID_RESPONSE');
      expect(err.status).toBe(416);
    });

    it('completes a corrupted body whose hash then differs from the real one', async () => {
      sb.context.faults.add({
        match: { origin: sb.collection.id, method: 'GET' },
        action: { kind: 'corrupt' },
        times: 1,
      });
      const result = await client.download(target, '/data/image.sif', temp());
      expect(result.size).toBe(content.length);
      expect(result.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(result.sha256).not.toBe(sha256(content));
    });

    it('retries a 503 with Retry-After before the body', async () => {
      sb.context.faults.add({
        match: { origin: sb.collection.id, method: 'GET' },
        action: { kind: 'status', status: 503, retryAfter: 2 },
        times: 1,
      });
      const result = await client.download(target, '/data/image.sif', temp());
      expect(result.sha256).toBe(sha256(content));
      expect(retries).toEqual([expect.objectContaining({ status: 503, delaySource: 'retry-after' })]);
    });

    it('refuses a file of another size than expected', async () => {
      const err = await caught(
        client.download(target, '/data/image.sif', temp(), { expectedSize: content.length + 1 }),
      );
      expect(err.code).toBe('CHECKSUM_MISMATCH');
      expect(err.message).toContain(String(content.length));
    });

    it('answers NOT_FOUND for a missing file', async () => {
      const err = await caught(client.download(target, '/data/missing.sif', temp()));
      expect(err.code).toBe('NOT_FOUND');
      expect(err.status).toBe(404);
    });

    it('rejects with ABORTED and leaves the partial file to the caller', async () => {
      const controller = new AbortController();
      const dest = temp();
      const err = await caught(
        client.download(target, '/data/image.sif', dest, {
          signal: controller.signal,
          onProgress: () => controller.abort(),
        }),
      );
      expect(err.code).toBe('ABORTED');
      const partial = await stat(dest);
      expect(partial.size).toBeLessThan(content.length);
      expect(partial.size).toBeGreaterThan(0);
    });
  });

  describe('head, remove and tokens', () => {
    it('reads size and validators, and undefined for a missing file', async () => {
      const info = await client.head(target, '/data/image.sif');
      expect(info?.size).toBe(content.length);
      expect(info?.etag).toMatch(/^W\/"/);
      expect(new Date(info!.lastModified!).getTime()).not.toBeNaN();
      expect(await client.head(target, '/data/missing.sif')).toBeUndefined();
    });

    it('removes a file and answers NOT_FOUND for one that is gone', async () => {
      await writeFile(join(root, 'data', 'doomed.bin'), 'bye');
      await client.remove(target, '/data/doomed.bin');
      expect(await readdir(join(root, 'data'))).not.toContain('doomed.bin');
      const err = await caught(client.remove(target, '/data/doomed.bin'));
      expect(err.code).toBe('NOT_FOUND');
    });

    it('tells a client without permission which identity needs one', async () => {
      const outsider = new CollectionHttpsClient({ tokens: sandboxTokens(sb, { retry: FAST }, stranger), retry: FAST });
      const err = await caught(outsider.download(target, '/data/image.sif', temp()));
      expect(err.code).toBe('PERMISSION_DENIED');
      expect(err.status).toBe(403);
      expect(err.message).toContain(`${stranger.id}@clients.auth.globus.org`);
      const put = await caught(
        outsider.upload(target, '/data/intruder.bin', { stream: () => Readable.from([Buffer.from('x')]) }),
      );
      expect(put.code).toBe('PERMISSION_DENIED');
      expect(await readdir(join(root, 'data'))).not.toContain('intruder.bin');
    });

    it('renews an expired token once and carries on', async () => {
      await client.head(target, '/data/image.sif');
      sb.context.tokens.expire(sb.client.id);
      const info = await client.head(target, '/data/image.sif');
      expect(info?.size).toBe(content.length);
      const heads = await requestsTo(sb, '/data/image.sif', 3, 'HEAD');
      expect(heads.map((h) => h.status)).toEqual([200, 401, 200]);
    });

    it('renews an expired token during a large upload', async () => {
      const file = join(sb.tmp, 'upload-renew.bin');
      await writeFile(file, content);
      await client.head(target, '/data/image.sif');
      sb.context.tokens.expire(sb.client.id);
      const result = await client.upload(target, '/data/renewed.sif', { file });
      expect(result.sha256).toBe(sha256(content));
      const puts = await requestsTo(sb, '/data/renewed.sif', 2, 'PUT');
      expect(puts.map((p) => p.status)).toEqual([401, 200]);
    });

    it('reports every answered attempt to onCall, resumed ranges included', async () => {
      const calls: ApiCall[] = [];
      const observed = new CollectionHttpsClient({
        tokens: sandboxTokens(sb, { retry: FAST }),
        retry: FAST,
        onCall: (call) => calls.push(call),
      });
      sb.context.faults.add({
        match: { origin: sb.collection.id, method: 'GET' },
        action: { kind: 'reset', afterBytes: 100_000 },
        times: 1,
      });
      await observed.download(target, '/data/image.sif', temp());
      await observed.upload(target, '/data/observed.bin', { stream: () => Readable.from([Buffer.from('seen')]) });
      expect(calls.map((c) => `${c.method} ${c.status}`)).toEqual(['GET 200', 'GET 206', 'PUT 200']);
      expect(calls[0]?.url).toBe(`${target.httpsServer}/data/image.sif`);
    });

    it('turns the redirect to Auth of a token-less GET into AUTH_FAILED', async () => {
      const anonymous = new CollectionHttpsClient({ tokens: { withToken: (_scopes, fn) => fn('') }, retry: FAST });
      const err = await caught(anonymous.download(target, '/data/image.sif', temp()));
      expect(err.code).toBe('AUTH_FAILED');
      expect(err.status).toBe(302);
      expect(err.message).toContain(`https://auth.globus.org/scopes/${sb.collection.id}/https`);
      await waitFor(() => sb.context.faults.log.some((e) => e.status === 302), 'the logged redirect');
    });

    it('keeps the token out of an error whose server echoes it back', async () => {
      const token = await sandboxTokens(sb).getToken(`https://auth.globus.org/scopes/${sb.collection.id}/https`);
      for (const method of ['GET', 'PUT']) {
        sb.context.faults.add({
          match: { origin: sb.collection.id, method },
          action: { kind: 'status', status: 403, code: 'PermissionDenied', message: `token ${token} may not do that` },
          times: 1,
        });
      }
      const echoing = new CollectionHttpsClient({ tokens: { withToken: (_scopes, fn) => fn(token) }, retry: false });
      const down = await caught(echoing.download(target, '/data/image.sif', temp()));
      const file = join(sb.tmp, 'echo.bin');
      await writeFile(file, 'x');
      const up = await caught(echoing.upload(target, '/data/echo.bin', { file }));
      for (const err of [down, up]) {
        expect(err.code).toBe('PERMISSION_DENIED');
        expect(`${err.message} ${JSON.stringify(err)}`).not.toContain(token);
      }
    });
  });
});
