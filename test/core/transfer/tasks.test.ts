import { randomBytes, randomUUID } from 'node:crypto';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startTestSandbox, type TestSandbox } from '../../support/sandbox.js';
import { sandboxTokens, sandboxTransferClient } from '../../support/clients.js';
import { caught } from '../../support/errors.js';
import { collect } from '../../support/iterables.js';
import { closeCoreAndSandbox, resetFaults } from '../../support/lifecycle.js';
import { requestJson } from '../../../src/core/http/index.js';
import { TokenSource, TRANSFER_SCOPE } from '../../../src/core/auth/index.js';
import type { TaskDocument, TransferApi, WaitOptions } from '../../../src/core/transfer/index.js';
import * as transfer from '../../../src/core/transfer/index.js';
import { requestsTo } from '../http-support.js';

const FAST = { baseDelayMs: 1 };
/** Small intervals keep the tests quick; they are configuration, not a stand-in for anything. */
const POLL: WaitOptions = { pollMs: 20, maxPollMs: 50 };

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

describe('core Transfer client: tasks', () => {
  let sb: TestSandbox;
  let tokens: TokenSource;
  let client: TransferApi;
  const src = () => sb.collection.id;
  const dst = () => sb.personal.id;
  const root = () => sb.collection.root!;
  const out = (name: string) => join(sb.tmp, 'out', name);

  /** A one-file transfer from the collection to the personal endpoint. */
  const submitFile = (name: string, extra: { label?: string } = {}) =>
    transfer.submitTransfer(client, {
      source: src(),
      destination: dst(),
      items: [{ source: `/in/${name}`, destination: out(name) }],
      ...extra,
    });

  beforeAll(async () => {
    sb = await startTestSandbox();
    tokens = sandboxTokens(sb, { retry: FAST });
    client = sandboxTransferClient(sb, { tokens, retry: FAST });
    await mkdir(join(root(), 'in'), { recursive: true });
    await mkdir(join(sb.tmp, 'out'), { recursive: true });
  });
  beforeEach(() => resetFaults(sb));
  afterAll(() => closeCoreAndSandbox(sb));

  it('submits a transfer with its options, waits for it, and lists its events and files', async () => {
    const body = randomBytes(1024);
    await writeFile(join(root(), 'in', 'small.bin'), body);
    const submissionId = await transfer.submissionId(client);
    expect(submissionId).toMatch(/^[0-9a-f-]{36}$/);
    const deadline = new Date(Date.now() + 3600_000);
    const submitted = await transfer.submitTransfer(client, {
      source: src(),
      destination: dst(),
      items: [{ source: '/in/small.bin', destination: out('small.bin') }],
      label: 'unit test transfer',
      syncLevel: 'checksum',
      verifyChecksum: true,
      deadline,
      submissionId,
    });
    expect(submitted.submissionId).toBe(submissionId);
    const task = await transfer.waitForTask(client, submitted.taskId, POLL);
    expect(task.status).toBe('SUCCEEDED');
    expect(task.task_id).toBe(submitted.taskId);
    expect(task.label).toBe('unit test transfer');
    expect(task.sync_level).toBe(3);
    expect(task.verify_checksum).toBe(true);
    expect(new Date(task.deadline).getTime()).toBe(Math.floor(deadline.getTime() / 1000) * 1000);
    expect(task.bytes_transferred).toBe(1024);
    expect(await readFile(out('small.bin'))).toEqual(body);

    const events = await collect(transfer.events(client, submitted.taskId, { pageSize: 1 }));
    expect(events.map((e) => e.code)).toEqual(['SUCCEEDED', 'STARTED']);
    expect((await requestsTo(sb, `/v0.10/task/${submitted.taskId}/event_list`, 2)).length).toBe(2);
  });

  it('makes one task when the answer to a submit is lost and the submit is retried', async () => {
    await writeFile(join(root(), 'in', 'dup.bin'), 'dup');
    const label = `dup-${randomUUID()}`;
    sb.context.faults.add({ match: { method: 'POST', path: '/v0.10/transfer$' }, action: { kind: 'reset' }, times: 1 });
    const first = await submitFile('dup.bin', { label });
    const posts = await requestsTo(sb, '/v0.10/transfer', 2, 'POST');
    expect(posts[0]!.fault).toBe('reset');

    // The same submission id again (a caller retrying on its own) answers Duplicate with the same task.
    const again = await transfer.submitTransfer(client, {
      source: src(),
      destination: dst(),
      items: [{ source: '/in/dup.bin', destination: out('dup.bin') }],
      label,
      submissionId: first.submissionId,
    });
    expect(again.taskId).toBe(first.taskId);

    const token = await tokens.getToken(TRANSFER_SCOPE);
    const list = await requestJson<{ DATA: { label: string | null; task_id: string }[] }>({
      url: `${sb.url}/v0.10/task_list`,
      query: { limit: 1000 },
      headers: { authorization: `Bearer ${token}` },
    });
    expect(list.DATA.filter((t) => t.label === label).map((t) => t.task_id)).toEqual([first.taskId]);
    await transfer.waitForTask(client, first.taskId, POLL);
  });

  it('submits deletes, recursive and ignoring missing paths', async () => {
    await mkdir(join(root(), 'gone', 'sub'), { recursive: true });
    await writeFile(join(root(), 'gone', 'sub', 'x.sif'), 'x');
    await writeFile(join(root(), 'gone.sif'), 'y');
    const { taskId } = await transfer.submitDelete(client, {
      endpoint: src(),
      paths: ['/gone/', '/gone.sif'],
      recursive: true,
      label: 'cleanup',
    });
    const task = await transfer.waitForTask(client, taskId, POLL);
    expect(task.type).toBe('DELETE');
    expect(task.label).toBe('cleanup');
    expect(await exists(join(root(), 'gone'))).toBe(false);
    expect(await exists(join(root(), 'gone.sif'))).toBe(false);

    const missing = await transfer.submitDelete(client, {
      endpoint: src(),
      paths: ['/never-there.sif'],
      ignoreMissing: true,
    });
    expect((await transfer.waitForTask(client, missing.taskId, POLL)).status).toBe('SUCCEEDED');
    const strict = await transfer.submitDelete(client, { endpoint: src(), paths: ['/never-there.sif'] });
    expect((await caught(transfer.waitForTask(client, strict.taskId, POLL))).code).toBe('TASK_FAILED');
  });

  it('reports progress while a task moves bytes', async () => {
    const size = 3 * 1024 * 1024;
    await writeFile(join(root(), 'in', 'big.bin'), randomBytes(size));
    sb.world.transferRate = 4 * 1024 * 1024;
    try {
      const { taskId } = await submitFile('big.bin');
      const seen: Pick<TaskDocument, 'bytes_transferred' | 'files' | 'files_transferred'>[] = [];
      const task = await transfer.waitForTask(client, taskId, {
        ...POLL,
        onProgress: (t) =>
          seen.push({ bytes_transferred: t.bytes_transferred, files: t.files, files_transferred: t.files_transferred }),
      });
      expect(task.bytes_transferred).toBe(size);
      expect(task.files_transferred).toBe(1);
      expect(seen.some((s) => s.bytes_transferred > 0 && s.bytes_transferred < size)).toBe(true);
      expect(seen.at(-1)).toEqual({ bytes_transferred: size, files: 1, files_transferred: 1 });
    } finally {
      delete sb.world.transferRate;
    }
  });

  it('throws TASK_FAILED with the fatal error and the last error event for a missing source', async () => {
    const { taskId } = await submitFile('missing.bin');
    const err = await caught(transfer.waitForTask(client, taskId, POLL));
    expect(err.code).toBe('TASK_FAILED');
    expect(err.globusCode).toBe('FILE_NOT_FOUND');
    expect(err.message).toContain(taskId);
    expect(err.message).toContain('FILE_NOT_FOUND');
    expect(err.message).toContain('last error: file not found');
    expect(err.message).toContain('/in/missing.bin');
  });

  it('throws TASK_FAILED for a task the service fails', async () => {
    await writeFile(join(root(), 'in', 'denied.bin'), 'd');
    sb.context.faults.add({
      match: { taskType: 'TRANSFER' },
      action: { kind: 'task-fail', code: 'PERMISSION_DENIED', description: 'Not allowed to write here' },
    });
    const { taskId } = await submitFile('denied.bin');
    const err = await caught(transfer.waitForTask(client, taskId, POLL));
    expect(err.code).toBe('TASK_FAILED');
    expect(err.globusCode).toBe('PERMISSION_DENIED');
    expect(err.message).toContain('Not allowed to write here');
  });

  it('throws TASK_INACTIVE with the nice_status, and cancelTask cancels the held task', async () => {
    await writeFile(join(root(), 'in', 'held.bin'), 'h');
    sb.context.faults.add({ action: { kind: 'task-inactive', niceStatus: 'PAUSED_BY_ADMIN' } });
    const { taskId } = await submitFile('held.bin');
    const err = await caught(transfer.waitForTask(client, taskId, { ...POLL, inactive: 'fail' }));
    expect(err.code).toBe('TASK_INACTIVE');
    expect(err.message).toContain('PAUSED_BY_ADMIN');
    expect(err.message).toContain('cancel');

    const result = await transfer.cancelTask(client, taskId);
    expect(result.code).toBe('Canceled');
    const task = await transfer.getTask(client, taskId);
    expect(task.status).toBe('FAILED');
    expect(task.fatal_error?.code).toBe('CANCELED');
  });

  it('cancels the task when the wait is aborted', async () => {
    await writeFile(join(root(), 'in', 'abort.bin'), 'a');
    sb.context.faults.add({ action: { kind: 'task-inactive' } });
    const { taskId } = await submitFile('abort.bin');
    const controller = new AbortController();
    const err = await caught(
      transfer.waitForTask(client, taskId, {
        ...POLL,
        inactive: 'wait',
        signal: controller.signal,
        onProgress: (t) => {
          if (t.status === 'INACTIVE') controller.abort();
        },
      }),
    );
    expect(err.code).toBe('ABORTED');
    expect(err.message).toContain('the task was canceled');
    const task = await transfer.getTask(client, taskId);
    expect(task.status).toBe('FAILED');
    expect(task.fatal_error?.code).toBe('CANCELED');
  });

  it('cancels the task and throws TIMEOUT when the wait runs out of time', async () => {
    await writeFile(join(root(), 'in', 'slow.bin'), 's');
    sb.context.faults.add({ action: { kind: 'task-inactive' } });
    const { taskId } = await submitFile('slow.bin');
    const err = await caught(transfer.waitForTask(client, taskId, { ...POLL, inactive: 'wait', timeoutMs: 150 }));
    expect(err.code).toBe('TIMEOUT');
    expect(err.message).toContain(taskId);
    const task = await transfer.getTask(client, taskId);
    expect(task.status).toBe('FAILED');
    expect(task.fatal_error?.code).toBe('CANCELED');
  });

  it('renews a token that expires while waiting', async () => {
    await writeFile(join(root(), 'in', 'expiring.bin'), 'e');
    sb.context.faults.add({ action: { kind: 'task-inactive' } });
    const { taskId } = await submitFile('expiring.bin');
    let released = false;
    const task = await transfer.waitForTask(client, taskId, {
      ...POLL,
      inactive: 'wait',
      onProgress: (t) => {
        if (t.status !== 'INACTIVE' || released) return;
        released = true;
        expect(sb.context.tokens.expire()).toBeGreaterThan(0);
        expect(sb.context.faults.release(taskId)).toBe(true);
      },
    });
    expect(task.status).toBe('SUCCEEDED');
    const polls = await requestsTo(sb, `/v0.10/task/${taskId}`, 2);
    expect(polls.map((p) => p.status)).toContain(401);
    expect(polls.at(-1)!.status).toBe(200);
    expect(await readFile(out('expiring.bin'), 'utf8')).toBe('e');
  });

  it('retries a 429 answer to a poll', async () => {
    await writeFile(join(root(), 'in', 'limited.bin'), 'l');
    const { taskId } = await submitFile('limited.bin');
    sb.context.faults.add({
      match: { method: 'GET', path: `^/v0\\.10/task/${taskId}$` },
      action: { kind: 'status', status: 429, retryAfter: 0 },
      times: 2,
    });
    const task = await transfer.waitForTask(client, taskId, POLL);
    expect(task.status).toBe('SUCCEEDED');
    const polls = await requestsTo(sb, `/v0.10/task/${taskId}`, 3);
    expect(polls.slice(0, 2).map((p) => p.status)).toEqual([429, 429]);
  });

  it('answers NOT_FOUND for an unknown task', async () => {
    const err = await caught(transfer.getTask(client, randomUUID()));
    expect(err.code).toBe('NOT_FOUND');
  });
});
