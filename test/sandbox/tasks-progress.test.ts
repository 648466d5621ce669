import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir, readdir, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { TaskClient, type Json } from './tasks-client.js';

/** Throttled tasks (world.transferRate) so progress, cancel and held tasks can be watched. */
describe('transfer tasks in progress', () => {
  const RATE = 1024 * 1024;
  const SIZE = 64 * 1024 * 1024;
  let sb: TestSandbox;
  let api: TaskClient;
  let big: string;

  beforeAll(async () => {
    sb = await startTestSandbox((world) => {
      world.transferRate = RATE;
    });
    api = new TaskClient(sb);
    big = join(sb.tmp, 'big.bin');
    await writeFile(big, '');
    await truncate(big, SIZE);
  });
  afterAll(() => sb.stop());

  it('reports bytes while a large file moves, and a cancel leaves nothing behind', async () => {
    const inbox = join(sb.collection.root!, 'inbox');
    await mkdir(inbox);
    const answer = await api.transfer(sb.personal.id, sb.collection.id, [[big, '/inbox/big.bin']]);
    const id = answer.body.task_id as string;
    const moving = await api.waitFor(id, (t) => (t.bytes_transferred as number) > 0);
    expect(moving.status).toBe('ACTIVE');
    expect(moving.nice_status).toBe('OK');
    expect(moving.bytes_transferred as number).toBeLessThan(SIZE);
    expect((await readdir(inbox)).some((n) => n.startsWith('.'))).toBe(true);
    await api.waitFor(id, (t) => (t.effective_bytes_per_second as number) > 0);

    const cancel = await api.call('POST', `task/${id}/cancel`);
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ DATA_TYPE: 'result', code: 'Canceled' });
    const task = await api.task(id);
    expect(task.status).toBe('FAILED');
    expect(task.fatal_error).toEqual({ code: 'CANCELED', description: 'canceled' });
    expect(await readdir(inbox)).toEqual([]);
    const events = await api.call('GET', `task/${id}/event_list?limit=1`);
    expect(events.body).toMatchObject({ length: 1, limit: 1, total: 2 });
    expect((events.body.DATA as Json[])[0]).toMatchObject({ code: 'CANCELED', is_error: true });
  });

  it('ends the next task FAILED with the code of a task-fail fault', async () => {
    sb.context.faults.add({
      match: { taskType: 'TRANSFER' },
      action: { kind: 'task-fail', code: 'ENDPOINT_ERROR', description: 'disk on fire' },
    });
    await writeFile(join(sb.tmp, 'tiny.txt'), 'tiny');
    const task = await api.run(
      api.transfer(sb.personal.id, sb.collection.id, [[join(sb.tmp, 'tiny.txt'), '/tiny.txt']]),
    );
    expect(task.status).toBe('FAILED');
    expect(task.fatal_error).toEqual({ code: 'ENDPOINT_ERROR', description: 'endpoint error' });
    expect(existsSync(join(sb.collection.root!, 'tiny.txt'))).toBe(false);
    // Used up: the next task runs normally.
    const next = await api.run(
      api.transfer(sb.personal.id, sb.collection.id, [[join(sb.tmp, 'tiny.txt'), '/tiny.txt']]),
    );
    expect(next.status).toBe('SUCCEEDED');
  });

  it('holds a task INACTIVE under a task-inactive fault until released', async () => {
    sb.context.faults.add({
      match: { taskType: 'DELETE' },
      action: { kind: 'task-inactive', niceStatus: 'PERMISSION_DENIED' },
    });
    await writeFile(join(sb.collection.root!, 'doomed.txt'), 'x');
    const answer = await api.delete(sb.collection.id, ['/doomed.txt']);
    const id = answer.body.task_id as string;
    const held = await api.waitFor(id, (t) => t.status === 'INACTIVE');
    expect(held.nice_status).toBe('PERMISSION_DENIED');
    expect(held.is_ok).toBe(false);
    expect(existsSync(join(sb.collection.root!, 'doomed.txt'))).toBe(true);
    expect(sb.context.faults.release(id)).toBe(true);
    const done = await api.waitFor(id);
    expect(done.status).toBe('SUCCEEDED');
    expect(existsSync(join(sb.collection.root!, 'doomed.txt'))).toBe(false);
  });

  it('cancels a held task', async () => {
    sb.context.faults.add({ match: { taskType: 'TRANSFER' }, action: { kind: 'task-inactive' } });
    const answer = await api.transfer(sb.personal.id, sb.collection.id, [[join(sb.tmp, 'tiny.txt'), '/held.txt']]);
    const id = answer.body.task_id as string;
    await api.waitFor(id, (t) => t.status === 'INACTIVE');
    const cancel = await api.call('POST', `task/${id}/cancel`);
    expect(cancel.body.code).toBe('Canceled');
    const task = await api.task(id);
    expect(task).toMatchObject({ status: 'FAILED', fatal_error: { code: 'CANCELED', description: 'canceled' } });
    expect(sb.context.faults.release(id)).toBe(false);
    const active = await api.call('GET', 'task_list?filter=status:ACTIVE,INACTIVE');
    expect(active.body.total).toBe(0);
  });
});
