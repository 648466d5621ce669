import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { DEFAULT_BEHAVIOUR } from '../../src/sandbox/behaviour.js';
import { request } from 'node:http';
import { mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { httpsToken } from '../support/tokens.js';
import { waitFor } from '../support/wait.js';

/** Polls until `check` holds; a generous bound, not a timing assertion. */
const eventually = (check: () => Promise<boolean>, what: string): Promise<void> =>
  waitFor(check, what, { everyMs: 20 });

describe('collection HTTPS server', () => {
  let sb: TestSandbox;
  let base: string;
  let root: string;
  let token: string;
  const content = randomBytes(10_000);

  const auth = (t = token): Record<string, string> => ({ authorization: `Bearer ${t}` });
  const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
    fetch(`${base}${path}`, { method, headers: { ...auth(), ...headers } });
  const put = (path: string, body: Uint8Array | string, headers: Record<string, string> = auth()) =>
    fetch(`${base}${path}`, { method: 'PUT', headers, body });
  const del = (path: string) => fetch(`${base}${path}`, { method: 'DELETE', headers: auth() });
  const visibleAndHidden = async (folder: string) => (await readdir(join(root, folder))).sort();

  // Tests that try a variant switch it on the shared sandbox; each starts from the strict defaults.
  afterEach(() => {
    Object.assign(sb.world.behaviour, DEFAULT_BEHAVIOUR);
  });

  beforeAll(async () => {
    sb = await startTestSandbox();
    base = sb.collection.httpsServer!;
    root = sb.collection.root!;
    token = httpsToken(sb);
    await mkdir(join(root, 'data'), { recursive: true });
    await writeFile(join(root, 'data', 'blob.bin'), content);
    await writeFile(join(root, 'data', 'empty.bin'), '');
  });
  afterAll(() => sb.stop());

  describe('GET and HEAD', () => {
    it('streams the whole file with its headers', async () => {
      const res = await get('/data/blob.bin');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      expect(res.headers.get('content-length')).toBe(String(content.length));
      expect(res.headers.get('accept-ranges')).toBe('bytes');
      expect(res.headers.get('etag')).toMatch(/^W\/"[0-9a-f]+-[0-9a-f]+"$/);
      expect(new Date(res.headers.get('last-modified')!).getTime()).not.toBeNaN();
      expect(Buffer.from(await res.arrayBuffer()).equals(content)).toBe(true);
    });

    it('answers HEAD with the same headers and no body', async () => {
      const res = await get('/data/blob.bin', {}, 'HEAD');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-length')).toBe(String(content.length));
      expect(res.headers.get('etag')).toMatch(/^W\//);
      expect((await res.arrayBuffer()).byteLength).toBe(0);
    });

    it('serves the first bytes of a file as 206', async () => {
      const res = await get('/data/blob.bin', { range: 'bytes=0-99' });
      expect(res.status).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes 0-99/${content.length}`);
      expect(res.headers.get('content-length')).toBe('100');
      expect(Buffer.from(await res.arrayBuffer()).equals(content.subarray(0, 100))).toBe(true);
    });

    it('serves a suffix range', async () => {
      const res = await get('/data/blob.bin', { range: 'bytes=-10' });
      expect(res.status).toBe(206);
      expect(res.headers.get('content-range')).toBe(
        `bytes ${content.length - 10}-${content.length - 1}/${content.length}`,
      );
      expect(Buffer.from(await res.arrayBuffer()).equals(content.subarray(-10))).toBe(true);
    });

    it('serves an open-ended range and clamps an end past the file', async () => {
      const open = await get('/data/blob.bin', { range: 'bytes=9000-' });
      expect(open.status).toBe(206);
      expect(Buffer.from(await open.arrayBuffer()).equals(content.subarray(9000))).toBe(true);
      const clamped = await get('/data/blob.bin', { range: 'bytes=9990-20000' });
      expect(clamped.headers.get('content-range')).toBe(`bytes 9990-9999/${content.length}`);
      expect(Buffer.from(await clamped.arrayBuffer()).equals(content.subarray(9990))).toBe(true);
    });

    it('answers an unsatisfiable range with 416 and the size', async () => {
      const res = await get('/data/blob.bin', { range: 'bytes=10000-' });
      expect(res.status).toBe(416);
      expect(res.headers.get('content-range')).toBe(`bytes */${content.length}`);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body.http_response_code).toBe(416);
      const empty = await get('/data/empty.bin', { range: 'bytes=-5' });
      expect(empty.status).toBe(416);
      await empty.arrayBuffer();
    });

    it('answers several ranges with the whole file', async () => {
      const res = await get('/data/blob.bin', { range: 'bytes=0-1,5-6' });
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(content)).toBe(true);
    });

    it('ignores a range whose If-Range names another version', async () => {
      const res = await get('/data/blob.bin', { range: 'bytes=0-1', 'if-range': 'W/"0-0"' });
      expect(res.status).toBe(200);
      expect((await res.arrayBuffer()).byteLength).toBe(content.length);
    });

    it('refuses a folder and answers 404 for a missing file, in JSON', async () => {
      const folder = await get('/data');
      expect(folder.status).toBe(400);
      expect(folder.headers.get('content-type')).toBe('application/json');
      expect(((await folder.json()) as Record<string, unknown>).code).toBe('ClientError.BadRequest.IsADirectory');
      const missing = await get('/data/nope.bin');
      expect(missing.status).toBe(404);
      const body = (await missing.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ code: 'ClientError.NotFound', http_response_code: 404 });
      expect(typeof body.message).toBe('string');
    });

    it('percent-decodes the path', async () => {
      await writeFile(join(root, 'data', 'a name#1.bin'), 'spaced');
      const res = await get('/data/a%20name%231.bin');
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('spaced');
    });

    it('records the caller in the request log', async () => {
      await (await get('/data/empty.bin')).arrayBuffer();
      const logged = () =>
        sb.context.faults.log.findLast((e) => e.origin === sb.collection.id && e.path === '/data/empty.bin');
      await eventually(async () => logged() !== undefined, 'the log entry');
      expect(logged()?.clientId).toBe(sb.client.id);
      expect(logged()?.status).toBe(200);
    });
  });

  describe('PUT', () => {
    it('creates a new file and answers 200 with its size', async () => {
      const body = randomBytes(5000);
      const res = await put('/data/new.bin', body);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ path: '/data/new.bin', size: 5000 });
      expect(res.headers.get('etag')).toMatch(/^W\//);
      expect((await readFile(join(root, 'data', 'new.bin'))).equals(body)).toBe(true);
    });

    it('overwrites an existing file and leaves no temp file', async () => {
      await put('/data/over.bin', 'first version, longer');
      const res = await put('/data/over.bin', 'second');
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      expect(await readFile(join(root, 'data', 'over.bin'), 'utf8')).toBe('second');
      expect((await visibleAndHidden('data')).filter((n) => n.includes('.put-'))).toEqual([]);
    });

    it('refuses a missing parent folder with 409', async () => {
      const res = await put('/nowhere/x.bin', 'x');
      expect(res.status).toBe(409);
      expect(((await res.json()) as Record<string, unknown>).code).toBe('ClientError.Conflict');
    });

    it('refuses to write over a folder', async () => {
      const res = await put('/data', 'x');
      expect(res.status).toBe(400);
      await res.arrayBuffer();
    });

    it('answers 401 without a token', async () => {
      const res = await put('/data/anon.bin', 'x', {});
      expect(res.status).toBe(401);
      expect(((await res.json()) as Record<string, unknown>).code).toBe('AuthenticationFailed');
      expect(await visibleAndHidden('data')).not.toContain('anon.bin');
    });

    it('leaves the bytes received at the target name when the client goes away mid-body (https_put_cut partial, the default)', async () => {
      const headers = { ...auth(), 'content-length': String(1024 * 1024) };
      const req = request(`${base}/data/cut-partial.bin`, { method: 'PUT', headers });
      req.on('error', () => undefined);
      req.write(randomBytes(64 * 1024));
      await eventually(
        async () => (await visibleAndHidden('data')).some((n) => n.startsWith('.cut-partial.bin.put-')),
        'the temp file',
      );
      req.destroy();
      await eventually(
        async () => (await visibleAndHidden('data')).includes('cut-partial.bin'),
        'the partial file at the target',
      );
      const size = (await stat(join(root, 'data', 'cut-partial.bin'))).size;
      expect(size).toBeGreaterThan(0);
      expect(size).toBeLessThan(1024 * 1024);
    });

    it('leaves neither file nor temp file when the client goes away mid-body under https_put_cut nothing', async () => {
      sb.world.behaviour.https_put_cut = 'nothing';
      const headers = { ...auth(), 'content-length': String(1024 * 1024) };
      const req = request(`${base}/data/aborted.bin`, { method: 'PUT', headers });
      req.on('error', () => undefined);
      req.write(randomBytes(64 * 1024));
      await eventually(
        async () => (await visibleAndHidden('data')).some((n) => n.startsWith('.aborted.bin.put-')),
        'the temp file',
      );
      req.destroy();
      await eventually(
        async () => !(await visibleAndHidden('data')).some((n) => n.includes('aborted')),
        'the temp file to go',
      );
      expect(await visibleAndHidden('data')).not.toContain('aborted.bin');
    });

    it('applies a reset fault after N bytes of the upload and cleans up under https_put_cut nothing', async () => {
      sb.world.behaviour.https_put_cut = 'nothing';
      const rule = sb.context.faults.add({
        match: { origin: sb.collection.id, method: 'PUT' },
        action: { kind: 'reset', afterBytes: 1000 },
      });
      await expect(put('/data/reset.bin', randomBytes(200_000))).rejects.toThrow();
      expect(rule.times).toBe(0);
      await eventually(
        async () => !(await visibleAndHidden('data')).some((n) => n.includes('reset.bin')),
        'no trace of the upload',
      );
      await eventually(async () => sb.context.faults.log.some((e) => e.path === '/data/reset.bin'), 'the log entry');
      expect(sb.context.faults.log.findLast((e) => e.path === '/data/reset.bin')?.fault).toBe('reset');
    });
  });

  describe('DELETE', () => {
    it('removes a file with 204, then answers 404', async () => {
      await writeFile(join(root, 'data', 'doomed.bin'), 'x');
      const res = await del('/data/doomed.bin');
      expect(res.status).toBe(204);
      expect(await visibleAndHidden('data')).not.toContain('doomed.bin');
      const again = await del('/data/doomed.bin');
      expect(again.status).toBe(404);
      await again.arrayBuffer();
    });

    it('removes an empty folder but refuses one with files', async () => {
      await mkdir(join(root, 'hollow'));
      expect((await del('/hollow')).status).toBe(204);
      const full = await del('/data');
      expect(full.status).toBe(409);
      await full.arrayBuffer();
      expect(await readdir(root)).toContain('data');
    });

    it('removes a link, not what it points to', async () => {
      await symlink(join(root, 'data', 'blob.bin'), join(root, 'data', 'alias.bin'));
      expect((await del('/data/alias.bin')).status).toBe(204);
      expect((await readFile(join(root, 'data', 'blob.bin'))).equals(content)).toBe(true);
    });
  });

  describe('body faults', () => {
    it('resets a download after N bytes', async () => {
      sb.context.faults.add({
        match: { origin: sb.collection.id, path: '^/data/blob\\.bin$' },
        action: { kind: 'reset', afterBytes: 1234 },
      });
      const received = await new Promise<{ bytes: Buffer; complete: boolean }>((resolve, reject) => {
        const req = request(`${base}/data/blob.bin`, { headers: auth() }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', () => undefined);
          res.on('close', () => resolve({ bytes: Buffer.concat(chunks), complete: res.complete }));
        });
        req.on('error', reject);
        req.end();
      });
      expect(received.complete).toBe(false);
      expect(received.bytes.equals(content.subarray(0, 1234))).toBe(true);
    });

    it('flips the middle byte of a download', async () => {
      sb.context.faults.add({ match: { origin: sb.collection.id, method: 'GET' }, action: { kind: 'corrupt' } });
      const body = Buffer.from(await (await get('/data/blob.bin')).arrayBuffer());
      const differing = [...body.keys()].filter((i) => body[i] !== content[i]);
      expect(differing).toEqual([content.length / 2]);
    });

    it('flips a byte at a file offset inside a range', async () => {
      sb.context.faults.add({
        match: { origin: sb.collection.id, method: 'GET' },
        action: { kind: 'corrupt', offset: 150 },
      });
      const body = Buffer.from(await (await get('/data/blob.bin', { range: 'bytes=100-199' })).arrayBuffer());
      const slice = content.subarray(100, 200);
      expect([...body.keys()].filter((i) => body[i] !== slice[i])).toEqual([50]);
    });

    it('passes a 503 with Retry-After to the client as JSON', async () => {
      sb.context.faults.add({
        match: { origin: sb.collection.id },
        action: { kind: 'status', status: 503, retryAfter: 7 },
      });
      const res = await get('/data/blob.bin');
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('7');
      expect(await res.json()).toMatchObject({ code: 'ServiceUnavailable', http_response_code: 503 });
    });
  });
});
