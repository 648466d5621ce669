/** The sandbox keeps every unfinished task and only the newest finished ones, so a long-running sandbox stays bounded. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { TaskClient, type Json } from './tasks-client.js';

describe('task history', () => {
  let sb: TestSandbox;
  let api: TaskClient;

  beforeAll(async () => {
    sb = await startTestSandbox(undefined, { taskHistoryLimit: 3 });
    api = new TaskClient(sb);
  });
  afterAll(() => sb.stop());

  it('forgets the oldest finished tasks beyond the limit, never an unfinished one', async () => {
    const root = sb.collection.root!;
    await mkdir(join(root, 'h'), { recursive: true });
    // The first task stays INACTIVE until cancelled: older than everything, and kept.
    sb.context.faults.add({
      match: { taskType: 'DELETE' },
      action: { kind: 'task-inactive', niceStatus: 'ENDPOINT_ERROR' },
    });
    const waiting = await api.delete(sb.collection.id, ['/h/never.bin'], { ignore_missing: true });
    expect(waiting.status).toBe(202);
    const waitingId = waiting.body.task_id as string;
    await api.waitFor(waitingId, (t) => t.status === 'INACTIVE');

    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      await writeFile(join(root, 'h', `f${i}.bin`), 'x');
      const done = await api.run(api.delete(sb.collection.id, [`/h/f${i}.bin`]));
      expect(done.status).toBe('SUCCEEDED');
      ids.push(done.task_id as string);
    }
    // The limit is applied as each task is submitted: this one finds five finished, keeps the newest three.
    const last = await api.run(api.delete(sb.collection.id, ['/h/none.bin'], { ignore_missing: true }));
    ids.push(last.task_id as string);

    const listed = ((await api.call('GET', 'task_list?limit=100')).body.DATA as Json[]).map((t) => t.task_id as string);
    expect(listed.sort()).toEqual([waitingId, ...ids.slice(2)].sort());
    for (const gone of ids.slice(0, 2)) expect((await api.call('GET', `task/${gone}`)).status).toBe(404);
    expect((await api.task(waitingId)).status).toBe('INACTIVE');
    expect((await api.call('POST', `task/${waitingId}/cancel`)).status).toBe(200);
  });
});
