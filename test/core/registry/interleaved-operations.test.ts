/**
 * Operations that overlap or lose an answer half way: a rename retried after its answer was
 * lost, a failed push beside a concurrent push of the same file, a Transfer task held
 * INACTIVE when the operation gives up, a record after a pull, and an abort of one pull
 * beside another on the same endpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { renameSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startTestSandbox, type TestSandbox } from '../../support/sandbox.js';
import { failure } from '../../support/errors.js';
import { closeCoreAndSandbox, resetFaults } from '../../support/lifecycle.js';
import { filesBelow, makeRegistry, randomFile } from './support.js';

let sb: TestSandbox;
beforeAll(async () => {
  sb = await startTestSandbox();
});
afterAll(() => closeCoreAndSandbox(sb));

const shub = (): string => join(sb.collection.root!, 'shub');
const uri = (rest: string): string => `globus://${sb.collection.id}/review/${rest}`;

/**
 * A pass-through proxy in front of the sandbox's Transfer API that lets the rename number
 * `dropRename` (1-based) reach the sandbox and run, then cuts the connection before its
 * answer arrives: a lost answer, which the sandbox alone cannot produce.
 */
async function lossyProxy(target: string, dropRename: number): Promise<{ url: string; close(): Promise<void> }> {
  let renames = 0;
  const server: Server = createServer((req, res) => {
    const drop = req.method === 'POST' && /\/rename\/?$/.test(req.url ?? '') && ++renames === dropRename;
    const upstream = httpRequest(
      new URL(req.url ?? '/', target),
      { method: req.method, headers: req.headers },
      (answer) => {
        if (drop) {
          answer.resume();
          answer.on('end', () => req.socket.destroy());
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('push: a retried rename whose first answer was lost', () => {
  it.each([
    ['image', 1],
    ['manifest', 2],
  ])('still publishes when the %s rename ran but its answer was lost', async (what, dropRename) => {
    const proxy = await lossyProxy(sb.url, dropRename);
    const h = makeRegistry(
      sb,
      'https',
      { globus: { clientId: sb.client.id, clientSecret: sb.client.secret, authUrl: sb.url, transferUrl: proxy.url } },
      `lost-${what}`,
    );
    try {
      const [pushed] = await h.registry.push(await randomFile(sb, `lost-${what}.bin`, 1000), uri(`lost-${what}`));
      expect(pushed!.status).toBe('pushed');
      const files = await filesBelow(join(shub(), 'review', `lost-${what}`));
      expect(files).toEqual([
        expect.stringMatching(new RegExp(`^latest@${pushed!.version}\\.\\d{8}T\\d{9}Z\\.json$`)),
        `sha256.${pushed!.version}.sif`,
      ]);
      const pulled = await h.registry.pull(uri(`lost-${what}`));
      expect(pulled.version).toBe(pushed!.version);
    } finally {
      await h.registry.close();
      await proxy.close();
    }
  });
});

describe('push: a failed push next to a concurrent one of the same file', () => {
  it('does not delete the image that the other push published with its manifest', async () => {
    resetFaults(sb);
    const file = await randomFile(sb, 'twice.bin', 1000);
    const first = makeRegistry(sb, 'https', {}, 'twice-a');
    await first.registry.push(file, uri('twice'));
    await first.registry.close();
    const folder = join(shub(), 'review', 'twice');
    const names = await filesBelow(folder);
    expect(names).toHaveLength(2);
    const aside = (n: string): string => join(folder, '..', `Aside-${n}`);
    // Hide the first push's version while the second lists the folder, and bring it back
    // while the second uploads: as if the first had finished meanwhile.
    for (const n of names) renameSync(join(folder, n), aside(n));
    const second = makeRegistry(
      sb,
      'https',
      {
        onEvent: (e) => {
          if (e.type !== 'step') return;
          if (e.message.startsWith('uploading')) for (const n of names) renameSync(aside(n), join(folder, n));
          if (e.message.startsWith('writing the manifest')) {
            sb.context.faults.add({
              match: { origin: sb.collection.id, method: 'PUT' },
              action: { kind: 'status', status: 403, code: 'PermissionDenied' },
            });
          }
        },
      },
      'twice-b',
    );
    const err = await failure(second.registry.push(file, uri('twice')));
    expect(err.code).toBe('PERMISSION_DENIED');
    await second.registry.close();
    expect(await filesBelow(folder)).toEqual(names);
    resetFaults(sb);
  });
});

describe('a Transfer task held INACTIVE', () => {
  it('is cancelled when the operation gives up on it, so it cannot write after the cleanup', async () => {
    resetFaults(sb);
    const up = makeRegistry(sb, 'https', {}, 'held-up');
    await up.registry.push(await randomFile(sb, 'held.bin', 1000), uri('held'));
    await up.registry.close();
    const h = makeRegistry(sb, 'transfer', { taskErrorGraceMs: 0 }, 'held');
    sb.context.faults.add({
      match: { taskType: 'TRANSFER' },
      action: { kind: 'task-inactive', niceStatus: 'HELD_BY_TEST' },
    });
    const err = await failure(h.registry.pull(uri('held')));
    await h.registry.close();
    expect(err.code).toBe('TASK_INACTIVE');
    const taskId = /Task (\S+) is INACTIVE/.exec(err.message)?.[1];
    expect(taskId).toBeDefined();
    expect(
      sb.context.faults.requestsSince(0).some((r) => r.method === 'POST' && r.path === `/v0.10/task/${taskId}/cancel`),
    ).toBe(true);
    // Nothing is left holding: releasing the task finds no waiter.
    expect(sb.context.faults.release(taskId!)).toBe(false);
    expect(await filesBelow(h.storage)).toEqual([]);
    resetFaults(sb);
  });
});

describe('record after pull', () => {
  it('keeps the local image the pull stored in the record', async () => {
    resetFaults(sb);
    const h = makeRegistry(sb, 'https', {}, 'record-after-pull');
    await h.registry.push(await randomFile(sb, 'kept.bin', 1000), uri('kept'));
    const pulled = await h.registry.pull(uri('kept'));
    const recorded = await h.registry.record(uri('kept'));
    expect(recorded.status).toBe('recorded');
    expect((await h.registry.inspect('review/kept'))?.image).toBe(pulled.image);
    expect((await h.registry.pull(uri('kept'))).status).toBe('cached');
    await h.registry.close();
  });
});

describe('two operations of one Registry on the same endpoint', () => {
  it('an abort of one does not fail the other that shares its endpoint lookup', async () => {
    resetFaults(sb);
    const h = makeRegistry(sb, 'https', {}, 'shared-lookup');
    await h.registry.push(await randomFile(sb, 'shared.bin', 1000), uri('shared'));
    const fresh = makeRegistry(sb, 'https', {}, 'shared-lookup-2');
    const controller = new AbortController();
    const aborted = fresh.registry.pull(uri('shared'), { signal: controller.signal });
    const other = fresh.registry.pull(uri('shared'));
    controller.abort();
    expect((await failure(aborted)).code).toBe('ABORTED');
    expect((await other).status).toBe('pulled');
    await h.registry.close();
    await fresh.registry.close();
  });
});
