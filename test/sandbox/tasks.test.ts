import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { addCollectionUser } from '../support/worlds.js';
import { TaskClient, type Json } from './tasks-client.js';

const FIXTURES = resolve(process.cwd(), 'test', 'fixtures', 'globus');

/** Every key of the real task documents: the SDK's transfer tasks and the CLI's delete task. */
function fixtureTaskKeys(): string[] {
  const keys = new Set<string>();
  for (const f of ['get_task1_active.json', 'get_task1_succeeded.json']) {
    for (const k of Object.keys(JSON.parse(readFileSync(join(FIXTURES, 'globus-sdk-python', f), 'utf8')) as Json))
      keys.add(k);
  }
  const doc = parse(readFileSync(join(FIXTURES, 'globus-cli', 'submit_delete_success.yaml'), 'utf8')) as {
    transfer: { path: string; json: Json }[];
  };
  const task = doc.transfer.find((e) => e.path.startsWith('/v0.10/task/'))!.json;
  for (const k of Object.keys(task)) keys.add(k);
  return [...keys].sort();
}

describe('transfer tasks', () => {
  let sb: TestSandbox;
  let other: string;
  let api: TaskClient;
  let personal: string;
  let collection: string;
  let root: string;

  beforeAll(async () => {
    other = randomUUID();
    sb = await startTestSandbox((world) => {
      // The other client may read the guest collection but not write it.
      addCollectionUser(world, { id: other, secret: 'other-secret', name: 'other' });
    });
    api = new TaskClient(sb);
    personal = sb.personal.id;
    collection = sb.collection.id;
    root = sb.collection.root!;
  });
  afterAll(() => sb.stop());

  it('hands out submission ids', async () => {
    const { status, body } = await api.call('GET', 'submission_id');
    expect(status).toBe(200);
    expect(body.DATA_TYPE).toBe('submission_id');
    expect(body.value).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('moves a file and answers like the service', async () => {
    const source = join(sb.tmp, 'small.bin');
    const bytes = randomBytes(10_000);
    await writeFile(source, bytes);
    const answer = await api.transfer(personal, collection, [[source, '/inbox/small.bin']], { label: 'small one' });
    expect(answer.status).toBe(202);
    const id = answer.body.task_id as string;
    expect(answer.body).toMatchObject({
      DATA_TYPE: 'transfer_result',
      code: 'Accepted',
      resource: '/transfer',
      task_link: {
        DATA_TYPE: 'link',
        href: `task/${id}?format=json`,
        rel: 'related',
        resource: 'task',
        title: 'related task',
      },
    });
    expect(typeof answer.body.request_id).toBe('string');
    expect(typeof answer.body.submission_id).toBe('string');
    const task = await api.waitFor(id);
    expect(task).toMatchObject({
      DATA_TYPE: 'task',
      status: 'SUCCEEDED',
      type: 'TRANSFER',
      files: 1,
      files_transferred: 1,
      bytes_transferred: 10_000,
      label: 'small one',
      fatal_error: null,
    });
    expect(task.source_endpoint_id).toBe(personal);
    expect(task.destination_endpoint_id).toBe(collection);
    expect(task.owner_id).toBe(sb.client.id);
    expect(task.request_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    expect(task.completion_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    expect(Object.keys(task).sort()).toEqual(fixtureTaskKeys());
    expect(await readFile(join(root, 'inbox', 'small.bin'))).toEqual(bytes);
    expect(await readdir(join(root, 'inbox'))).toEqual(['small.bin']);
  });

  it('copies folders recursively and keeps timestamps when asked', async () => {
    const tree = join(sb.tmp, 'tree');
    await mkdir(join(tree, 'a', 'b'), { recursive: true });
    await mkdir(join(tree, 'empty'));
    await writeFile(join(tree, 'top.txt'), 'top');
    await writeFile(join(tree, 'a', 'b', 'deep.txt'), 'deep');
    await symlink('/etc/hostname', join(tree, 'outside-link'));
    const old = new Date('2020-02-02T02:02:02Z');
    await utimes(join(tree, 'top.txt'), old, old);
    const task = await api.run(
      api.transfer(personal, collection, [[tree, '/copied', true]], { preserve_timestamp: true }),
    );
    expect(task.status).toBe('SUCCEEDED');
    expect(task.files_transferred).toBe(2);
    expect(task.directories).toBe(4);
    expect(await readFile(join(root, 'copied', 'a', 'b', 'deep.txt'), 'utf8')).toBe('deep');
    expect(existsSync(join(root, 'copied', 'empty'))).toBe(true);
    expect(existsSync(join(root, 'copied', 'outside-link'))).toBe(false);
    expect((await stat(join(root, 'copied', 'top.txt'))).mtime.getTime()).toBe(old.getTime());
  });

  it('skips an identical file under sync_level checksum', async () => {
    await writeFile(join(root, 'same.txt'), 'identical content');
    await writeFile(join(sb.tmp, 'same.txt'), 'identical content');
    await writeFile(join(sb.tmp, 'changed.txt'), 'new content');
    await writeFile(join(root, 'changed.txt'), 'old content');
    const task = await api.run(
      api.transfer(
        personal,
        collection,
        [
          [join(sb.tmp, 'same.txt'), '/same.txt'],
          [join(sb.tmp, 'changed.txt'), '/changed.txt'],
        ],
        { sync_level: 'checksum', verify_checksum: true },
      ),
    );
    expect(task).toMatchObject({
      status: 'SUCCEEDED',
      sync_level: 3,
      verify_checksum: true,
      files: 2,
      files_skipped: 1,
      files_transferred: 1,
    });
    expect(task.bytes_checksummed as number).toBeGreaterThan(0);
    expect(await readFile(join(root, 'changed.txt'), 'utf8')).toBe('new content');
  });

  it('replaces a dangling link at the destination instead of following it', async () => {
    await writeFile(join(sb.tmp, 'real.txt'), 'real');
    await symlink(join(root, 'nowhere.txt'), join(root, 'dangling.txt'));
    const task = await api.run(api.transfer(personal, collection, [[join(sb.tmp, 'real.txt'), '/dangling.txt']]));
    expect(task.status).toBe('SUCCEEDED');
    expect(await readFile(join(root, 'dangling.txt'), 'utf8')).toBe('real');
    expect(existsSync(join(root, 'nowhere.txt'))).toBe(false);
  });

  it('fails with FILE_NOT_FOUND and an error event when the source is missing', async () => {
    const task = await api.run(api.transfer(personal, collection, [[join(sb.tmp, 'no-such-file'), '/x']]));
    expect(task.status).toBe('FAILED');
    expect(task.fatal_error).toEqual({ code: 'FILE_NOT_FOUND', description: 'file not found' });
    const events = await api.call('GET', `task/${String(task.task_id)}/event_list`);
    expect(events.body).toMatchObject({ DATA_TYPE: 'event_list', offset: 0, total: 2 });
    const [newest, oldest] = events.body.DATA as Json[];
    expect(newest).toMatchObject({
      DATA_TYPE: 'event',
      code: 'FILE_NOT_FOUND',
      description: 'file not found',
      is_error: true,
    });
    expect(newest!.details).toContain('no-such-file');
    expect(oldest).toMatchObject({ DATA_TYPE: 'event', code: 'STARTED', is_error: false });
    expect(typeof oldest!.time).toBe('string');
  });

  it('keeps a task ACTIVE with PERMISSION_DENIED in nice_status and an error event when the destination is read-only, as Globus retries it', async () => {
    await writeFile(join(root, 'readable.txt'), 'shared');
    const guest = new TaskClient(sb, other);
    const { body } = await guest.transfer(collection, collection, [['/readable.txt', '/copy-of-readable.txt']]);
    const id = body.task_id as string;
    const task = await guest.waitFor(id, (t) => t.nice_status === 'PERMISSION_DENIED' || t.status !== 'ACTIVE');
    expect(task).toMatchObject({
      status: 'ACTIVE',
      nice_status: 'PERMISSION_DENIED',
      nice_status_short_description: 'permission denied',
      fatal_error: null,
    });
    const events = (await guest.call('GET', `task/${id}/event_list`)).body.DATA as Json[];
    expect(events.some((e) => e.code === 'PERMISSION_DENIED' && e.is_error === true)).toBe(true);
    expect((await guest.call('POST', `task/${id}/cancel`)).body.code).toBe('Canceled');
    expect((await guest.waitFor(id)).status).toBe('FAILED');
    expect(existsSync(join(root, 'copy-of-readable.txt'))).toBe(false);
  });

  it('ends a retried task FAILED with an EXPIRED event at its deadline', async () => {
    await writeFile(join(root, 'readable2.txt'), 'shared');
    const guest = new TaskClient(sb, other);
    const deadline = new Date(Date.now() + 1500).toISOString();
    const task = await guest.run(
      guest.transfer(collection, collection, [['/readable2.txt', '/copy-of-readable2.txt']], { deadline }),
    );
    expect(task.status).toBe('FAILED');
    expect((task.fatal_error as Json).code).toBe('DEADLINE_EXCEEDED');
    const events = (await guest.call('GET', `task/${task.task_id as string}/event_list`)).body.DATA as Json[];
    expect(events.map((e) => e.code)).toEqual(expect.arrayContaining(['EXPIRED', 'PERMISSION_DENIED']));
  });

  it('fails a delete of a missing path FILE_NOT_FOUND within about a second', async () => {
    const started = Date.now();
    const task = await api.run(api.delete(collection, ['/never-was.txt']));
    expect(task.status).toBe('FAILED');
    expect((task.fatal_error as Json).code).toBe('FILE_NOT_FOUND');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('runs at most max_active_tasks transfers per client and shows the rest Queued', async () => {
    sb.world.behaviour.max_active_tasks = 1;
    const blocker = sb.context.faults.add({ match: { taskType: 'TRANSFER' }, action: { kind: 'task-inactive' } });
    try {
      await writeFile(join(root, 'q.txt'), 'q');
      const first = (await api.transfer(collection, collection, [['/q.txt', '/q1.txt']])).body.task_id as string;
      await api.waitFor(first, (t) => t.status === 'INACTIVE');
      const second = (await api.transfer(collection, collection, [['/q.txt', '/q2.txt']])).body.task_id as string;
      await new Promise((r) => setTimeout(r, 200));
      expect(await api.task(second)).toMatchObject({ status: 'ACTIVE', nice_status: 'Queued' });
      sb.context.faults.release(first);
      expect((await api.waitFor(first)).status).toBe('SUCCEEDED');
      expect((await api.waitFor(second)).status).toBe('SUCCEEDED');
    } finally {
      sb.world.behaviour.max_active_tasks = 3;
      sb.context.faults.remove(blocker.id);
    }
  });

  it('shows a task only to its owner', async () => {
    const mine = await api.transfer(personal, collection, [[join(sb.tmp, 'small.bin'), '/mine.bin']]);
    const id = mine.body.task_id as string;
    const guest = new TaskClient(sb, other);
    const seen = await guest.call('GET', `task/${id}`);
    expect(seen.status).toBe(404);
    expect(seen.body.code).toBe('ClientError.NotFound');
    expect((await guest.call('POST', `task/${id}/cancel`)).status).toBe(404);
    const list = await guest.call('GET', 'task_list');
    expect((list.body.DATA as Json[]).some((t) => t.task_id === id)).toBe(false);
    await api.waitFor(id);
  });

  it('answers a reused submission_id with the original task and code Duplicate', async () => {
    const submissionId = await api.submissionId();
    const body = {
      DATA_TYPE: 'transfer',
      submission_id: submissionId,
      source_endpoint: personal,
      destination_endpoint: collection,
      DATA: [{ DATA_TYPE: 'transfer_item', source_path: join(sb.tmp, 'small.bin'), destination_path: '/dup.bin' }],
    };
    const first = await api.call('POST', 'transfer', body);
    const second = await api.call('POST', 'transfer', body);
    expect(first.status).toBe(202);
    expect(second.body.code).toBe('Duplicate');
    expect(second.body.task_id).toBe(first.body.task_id);
    expect(second.body.submission_id).toBe(submissionId);
    const list = await api.call('GET', `task_list?filter=label:~nothing-matches-this`);
    expect(list.body.total).toBe(0);
    await api.waitFor(first.body.task_id as string);
  });

  it('refuses bad submissions at submit time', async () => {
    const base = {
      DATA_TYPE: 'transfer',
      submission_id: await api.submissionId(),
      source_endpoint: personal,
      destination_endpoint: collection,
    };
    const empty = await api.call('POST', 'transfer', { ...base, DATA: [] });
    expect(empty.status).toBe(400);
    expect(empty.body.code).toBe('ClientError.BadRequest.NoTransferItems');
    const item = [{ DATA_TYPE: 'transfer_item', source_path: '/a', destination_path: '/b' }];
    const unknown = await api.call('POST', 'transfer', { ...base, destination_endpoint: randomUUID(), DATA: item });
    expect(unknown.status).toBe(404);
    const noId = await api.call('POST', 'transfer', { ...base, submission_id: undefined, DATA: item });
    expect(noId.status).toBe(400);
    const wrongType = await api.call('POST', 'transfer', { ...base, DATA_TYPE: 'delete', DATA: item });
    expect(wrongType.status).toBe(400);
    const badSync = await api.call('POST', 'transfer', { ...base, sync_level: 'sometimes', DATA: item });
    expect(badSync.status).toBe(400);
    const noToken = await fetch(`${sb.url}/v0.10/transfer`, {
      method: 'POST',
      body: JSON.stringify({ ...base, DATA: item }),
    });
    expect(noToken.status).toBe(401);
  });

  it('runs delete tasks: files, folders with recursive, missing paths with ignore_missing', async () => {
    await mkdir(join(root, 'trash', 'sub'), { recursive: true });
    await writeFile(join(root, 'trash', 'sub', 'f.txt'), 'x');
    await writeFile(join(root, 'lone.txt'), 'x');
    const answer = await api.delete(collection, ['/trash', '/lone.txt', '/never-there'], {
      recursive: true,
      ignore_missing: true,
    });
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ DATA_TYPE: 'delete_result', code: 'Accepted', resource: '/delete' });
    const task = await api.waitFor(answer.body.task_id as string);
    expect(task).toMatchObject({
      status: 'SUCCEEDED',
      type: 'DELETE',
      source_endpoint_id: collection,
      destination_endpoint_id: null,
    });
    expect(Object.keys(task).sort()).toEqual(fixtureTaskKeys());
    expect(existsSync(join(root, 'trash'))).toBe(false);
    expect(existsSync(join(root, 'lone.txt'))).toBe(false);

    await mkdir(join(root, 'keep'));
    const folderWithout = await api.run(api.delete(collection, ['/keep']));
    expect(folderWithout.status).toBe('FAILED');
    expect(existsSync(join(root, 'keep'))).toBe(true);
    const missing = await api.run(api.delete(collection, ['/never-there']));
    expect(missing.fatal_error).toEqual({ code: 'FILE_NOT_FOUND', description: 'file not found' });
  });

  it('pages successful_transfers 100 at a time', async () => {
    const many = join(sb.tmp, 'many');
    await mkdir(many);
    await Promise.all(
      Array.from({ length: 150 }, (_, i) => writeFile(join(many, `f${String(i).padStart(3, '0')}.txt`), String(i))),
    );
    const task = await api.run(api.transfer(personal, collection, [[many, '/many', true]]));
    expect(task).toMatchObject({ status: 'SUCCEEDED', files_transferred: 150 });
    const first = await api.call('GET', `task/${String(task.task_id)}/successful_transfers`);
    expect(first.body).toMatchObject({ DATA_TYPE: 'successful_transfers', next_marker: 100 });
    const firstData = first.body.DATA as Json[];
    expect(firstData).toHaveLength(100);
    expect(firstData[0]).toEqual({
      DATA_TYPE: 'successful_transfer',
      source_path: join(many, 'f000.txt'),
      destination_path: '/many/f000.txt',
    });
    const second = await api.call('GET', `task/${String(task.task_id)}/successful_transfers?marker=100`);
    expect(second.body.next_marker).toBeNull();
    expect(second.body.DATA as Json[]).toHaveLength(50);
    expect(await readdir(join(root, 'many'))).toHaveLength(150);
  });

  it('lists tasks with filters, order and paging', async () => {
    const all = await api.call('GET', 'task_list?limit=1000');
    expect(all.body).toMatchObject({ DATA_TYPE: 'task_list', offset: 0, limit: 1000 });
    const total = all.body.total as number;
    expect(total).toBeGreaterThan(5);
    const deletes = await api.call('GET', 'task_list?filter=type:DELETE&limit=1000');
    const deleteTasks = deletes.body.DATA as Json[];
    expect(deleteTasks.length).toBeGreaterThanOrEqual(3);
    expect(deleteTasks.every((t) => t.type === 'DELETE')).toBe(true);
    const failedTransfers = await api.call('GET', 'task_list?filter=status:FAILED/type:TRANSFER&limit=1000');
    expect((failedTransfers.body.DATA as Json[]).every((t) => t.status === 'FAILED' && t.type === 'TRANSFER')).toBe(
      true,
    );
    expect(failedTransfers.body.total).toBeGreaterThanOrEqual(1);
    const page = await api.call('GET', 'task_list?limit=2&offset=1&orderby=request_time ASC');
    expect(page.body).toMatchObject({ length: 2, limit: 2, offset: 1, total });
    expect((page.body.DATA as Json[])[0]!.task_id).toBe((all.body.DATA as Json[])[total - 2]!.task_id);
    expect((await api.call('GET', 'task_list?filter=colour:blue')).status).toBe(400);
  });

  it('answers TaskComplete when cancelling a finished task', async () => {
    const task = await api.run(api.transfer(personal, collection, [[join(sb.tmp, 'small.bin'), '/late.bin']]));
    const cancel = await api.call('POST', `task/${String(task.task_id)}/cancel`);
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ DATA_TYPE: 'result', code: 'TaskComplete' });
    expect((await api.task(task.task_id as string)).status).toBe('SUCCEEDED');
  });

  it('fails a task whose deadline has passed', async () => {
    const task = await api.run(
      api.transfer(personal, collection, [[join(sb.tmp, 'small.bin'), '/expired.bin']], {
        deadline: '2001-01-01T00:00:00+00:00',
      }),
    );
    expect(task.status).toBe('FAILED');
    expect((task.fatal_error as Json).code).toBe('DEADLINE_EXCEEDED');
    expect(existsSync(join(root, 'expired.bin'))).toBe(false);
  });
});
