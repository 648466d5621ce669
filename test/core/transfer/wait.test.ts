/**
 * Waiting for tasks as Globus runs them: a task that retries an error stays ACTIVE with
 * the error in nice_status, an INACTIVE one may come back. Against the strict sandbox,
 * with its task times scaled down.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startTestSandbox, type TestSandbox } from '../../support/sandbox.js';
import { sandboxTokens, sandboxTransferClient } from '../../support/clients.js';
import { caught } from '../../support/errors.js';
import { closeCoreAndSandbox, resetFaults } from '../../support/lifecycle.js';
import type { TokenSource } from '../../../src/core/auth/index.js';
import type { TaskState, TransferApi } from '../../../src/core/transfer/index.js';
import * as transfer from '../../../src/core/transfer/index.js';

const FAST = { baseDelayMs: 1 };
const POLL = { pollMs: 20, maxPollMs: 50 };

describe('waiting for a task', () => {
  let sb: TestSandbox;
  let tokens: TokenSource;
  let client: TransferApi;
  const root = () => sb.collection.root!;

  const submit = (name: string, to: string) =>
    transfer.submitTransfer(client, {
      source: sb.collection.id,
      destination: sb.personal.id,
      items: [{ source: `/in/${name}`, destination: to }],
    });

  beforeAll(async () => {
    // Globus retries a faulted task every minute; scaled to 60 ms here.
    sb = await startTestSandbox((world, tmp) => {
      world.behaviour.time_scale = 0.001;
      // A folder the personal endpoint may read but not write: a recoverable PERMISSION_DENIED.
      world.endpoints[0]!.configPaths!.push({ path: join(tmp, 'ro'), shareable: false, writable: false });
    });
    await mkdir(join(sb.tmp, 'ro'), { recursive: true });
    tokens = sandboxTokens(sb, { retry: FAST });
    client = sandboxTransferClient(sb, { tokens, retry: FAST });
    await mkdir(join(root(), 'in'), { recursive: true });
    await writeFile(join(root(), 'in', 'f.bin'), 'payload');
  });
  beforeEach(() => resetFaults(sb));
  afterAll(() => closeCoreAndSandbox(sb));

  it('sends a deadline with every task, 72 h out for a transfer', async () => {
    const before = Date.now();
    const { taskId } = await submit('f.bin', join(sb.tmp, 'deadline.bin'));
    const task = await transfer.waitForTask(client, taskId, POLL);
    const deadline = Date.parse(task.deadline);
    expect(deadline - before).toBeGreaterThan(71 * 3600_000);
    expect(deadline - before).toBeLessThan(73 * 3600_000);
  });

  it('survives an INACTIVE spell shorter than the grace, which the old wait failed at once', async () => {
    sb.context.faults.add({ action: { kind: 'task-inactive', niceStatus: 'GC_NOT_CONNECTED' } });
    const { taskId } = await submit('f.bin', join(sb.tmp, 'spell.bin'));
    const states: TaskState['kind'][] = [];
    const done = transfer.waitForTask(client, taskId, {
      ...POLL,
      errorGraceMs: 10_000,
      onState: (s) => {
        states.push(s.kind);
        if (s.kind === 'held') setTimeout(() => sb.context.faults.release(taskId), 300);
      },
    });
    expect((await done).status).toBe('SUCCEEDED');
    expect(states).toContain('held');
  });

  it('gives up on a task INACTIVE past the grace: cancelled, TASK_INACTIVE', async () => {
    sb.context.faults.add({ action: { kind: 'task-inactive', niceStatus: 'PAUSED_BY_ADMIN' } });
    const { taskId } = await submit('f.bin', join(sb.tmp, 'held.bin'));
    const err = await caught(transfer.waitForTask(client, taskId, { ...POLL, errorGraceMs: 300 }));
    expect(err.code).toBe('TASK_INACTIVE');
    expect(err.message).toContain('PAUSED_BY_ADMIN');
    // The wait does not cancel a held task itself; the operation does (registry/remote.ts).
    expect((await transfer.getTask(client, taskId)).status).toBe('INACTIVE');
    await transfer.cancelTask(client, taskId);
  });

  it('cancels a task that keeps one error in nice_status past the grace, failing with its code and Globus description', async () => {
    const readOnly = join(sb.tmp, 'ro');
    {
      const { taskId } = await submit('f.bin', join(readOnly, `x-${Math.random().toString(36).slice(2)}.bin`));
      const states: string[] = [];
      const err = await caught(
        transfer.waitForTask(client, taskId, {
          ...POLL,
          errorGraceMs: 400,
          onState: (s) => states.push(s.kind === 'retrying' ? s.code : s.kind),
        }),
      );
      expect(err.code).toBe('PERMISSION_DENIED');
      expect(err.globusCode).toBe('PERMISSION_DENIED');
      expect(err.message).toMatch(/kept failing with PERMISSION_DENIED \(permission denied\)/);
      expect(err.message).toMatch(/the task was canceled/);
      expect(states).toContain('PERMISSION_DENIED');
      expect((await transfer.getTask(client, taskId)).status).toBe('FAILED');
    }
  });

  it('reports the last error seen when the wait is aborted', async () => {
    const readOnly = join(sb.tmp, 'ro');
    {
      const { taskId } = await submit('f.bin', join(readOnly, `x-${Math.random().toString(36).slice(2)}.bin`));
      const controller = new AbortController();
      const err = await caught(
        transfer.waitForTask(client, taskId, {
          ...POLL,
          signal: controller.signal,
          onState: (s) => s.kind === 'retrying' && controller.abort(),
        }),
      );
      expect(err.code).toBe('ABORTED');
      expect(err.message).toMatch(/last error it reported: PERMISSION_DENIED/);
    }
  });

  it('shows a task queued behind the client’s others as queued', async () => {
    sb.world.behaviour.max_active_tasks = 1;
    const blocker = sb.context.faults.add({ action: { kind: 'task-inactive' } });
    try {
      const first = await submit('f.bin', join(sb.tmp, 'q1.bin'));
      await transfer.waitForTask(client, first.taskId, { ...POLL, inactive: 'fail' }).catch(() => undefined);
      const second = await submit('f.bin', join(sb.tmp, 'q2.bin'));
      const states: string[] = [];
      const waiting = transfer.waitForTask(client, second.taskId, {
        ...POLL,
        onState: (s) => {
          states.push(s.kind);
          if (s.kind === 'queued') sb.context.faults.release(first.taskId);
        },
      });
      expect((await waiting).status).toBe('SUCCEEDED');
      expect(states[0]).toBe('queued');
    } finally {
      sb.world.behaviour.max_active_tasks = 3;
      sb.context.faults.remove(blocker.id);
    }
  });
});
