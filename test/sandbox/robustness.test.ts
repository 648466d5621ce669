import { afterEach, describe, expect, it } from '@jest/globals';
import { request } from 'node:http';
import { connect } from 'node:net';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/sandbox.js';
import { defaultWorld } from '../../src/sandbox/config/default-world.js';
import { collectionScope } from '../../src/sandbox/model.js';
import { waitFor } from '../support/wait.js';

/** A sandbox on its own temp folder, started with extra options; removed after each test. */
describe('sandbox robustness', () => {
  let sb: RunningSandbox | undefined;
  let tmp: string | undefined;

  const start = async (options: { requestLogLimit?: number } = {}) => {
    tmp = await mkdtemp(join(tmpdir(), 'sregistry-robust-'));
    const dataDir = join(tmp, 'sandbox');
    const world = defaultWorld({ dataDir, home: tmp });
    world.endpoints[0]!.configPaths = [{ path: tmp, shareable: false, writable: true }];
    await mkdir(world.endpoints[1]!.root!, { recursive: true });
    sb = await startSandbox({ world, dataDir, ...options });
    return sb;
  };

  afterEach(async () => {
    await sb?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
    sb = undefined;
    tmp = undefined;
  });

  /** Sends raw bytes and resolves with the first line of the answer (or what the socket said before closing). */
  const rawStatusLine = (origin: string, text: string) =>
    new Promise<string>((resolve, reject) => {
      const { port } = new URL(origin);
      const socket = connect(Number(port), '127.0.0.1', () => socket.write(text));
      let got = '';
      const timer = setTimeout(() => {
        socket.destroy();
        resolve(got.split('\r\n')[0] ?? '');
      }, 10_000);
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => {
        got += d;
        if (got.includes('\r\n')) {
          clearTimeout(timer);
          socket.destroy();
          resolve(got.split('\r\n')[0]!);
        }
      });
      socket.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(got.split('\r\n')[0] ?? '');
      });
    });

  it('answers a request target that is not a URL with 400 and keeps serving', async () => {
    const running = await start();
    const collection = running.world.endpoints[1]!.httpsServer!;
    for (const origin of [running.url, collection]) {
      expect(await rawStatusLine(origin, 'GET http://[ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')).toBe(
        'HTTP/1.1 400 Bad Request',
      );
    }
    const res = await fetch(`${running.url}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
  });

  it('keeps only the newest requests in its log, with indices that keep counting', async () => {
    const running = await start({ requestLogLimit: 5 });
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${running.url}/v0.10/missing-${i}`);
      await res.arrayBuffer();
    }
    const book = running.context.faults;
    expect(book.log).toHaveLength(5);
    expect(book.nextIndex).toBe(12);
    const kept = book.requestsSince(0);
    expect(kept.map((r) => r.index)).toEqual([7, 8, 9, 10, 11]);
    expect(kept.map((r) => r.path)).toEqual([7, 8, 9, 10, 11].map((i) => `/v0.10/missing-${i}`));
    expect(kept.every((r) => r.status === 404)).toBe(true);
    // Through the admin API too; the admin call itself is not listed.
    const res = await fetch(`${running.url}/_sandbox/requests?since=3`, {
      headers: { authorization: `Bearer ${running.world.adminToken}` },
    });
    const body = (await res.json()) as { requests: { index: number }[]; next: number };
    expect(body.requests.map((r) => r.index)).toEqual([8, 9, 10, 11]);
  });

  it('removes the hidden temp file of an upload that close() cut, before close() resolves (https_put_cut nothing)', async () => {
    const running = await start();
    running.world.behaviour.https_put_cut = 'nothing';
    const collection = running.world.endpoints[1]!;
    const token = running.context.tokens.issue(
      running.world.clients[0]!.id,
      collection.id,
      [collectionScope(collection.id, 'https')],
      3600,
    ).token;
    const req = request(`${collection.httpsServer}/cut.bin`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-length': 1_000_000 },
    });
    req.on('error', () => undefined);
    req.write(Buffer.alloc(64 * 1024, 1));
    const hidden = async () => (await readdir(collection.root!)).filter((n) => n.includes('.put-'));
    await waitFor(async () => (await hidden()).length > 0, 'the upload temp file');
    await running.close();
    sb = undefined;
    expect(await readdir(collection.root!)).toEqual([]);
    req.destroy();
  });
});
