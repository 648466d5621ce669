import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { access, mkdir, open, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { TaskClient, type Json } from './tasks-client.js';

const CONTENT = 'the bytes we announced';
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('external_checksum and the notify flags of a transfer submission', () => {
  let sb: TestSandbox;
  let tasks: TaskClient;
  const item = (destination: string, extra: Json): Json => ({
    DATA_TYPE: 'transfer_item',
    source_path: '/in/a.sif',
    destination_path: join(sb.tmp, destination),
    recursive: false,
    ...extra,
  });
  const submit = async (items: Json[], extra: Json = {}) =>
    tasks.call('POST', 'transfer', {
      DATA_TYPE: 'transfer',
      submission_id: await tasks.submissionId(),
      source_endpoint: sb.collection.id,
      destination_endpoint: sb.personal.id,
      DATA: items,
      ...extra,
    });

  beforeAll(async () => {
    sb = await startTestSandbox();
    tasks = new TaskClient(sb);
    await mkdir(join(sb.collection.root!, 'in'), { recursive: true });
    await writeFile(join(sb.collection.root!, 'in', 'a.sif'), CONTENT);
  });
  afterAll(() => sb.stop());

  it('copies a source that matches its SHA256 external_checksum', async () => {
    const task = await tasks.run(
      submit([item('ok.sif', { external_checksum: sha256(CONTENT).toUpperCase(), checksum_algorithm: 'SHA256' })], {
        notify_on_succeeded: false,
        notify_on_failed: false,
        notify_on_inactive: false,
      }),
    );
    expect(task.status).toBe('SUCCEEDED');
    await access(join(sb.tmp, 'ok.sif'));
  });

  it('never ends SUCCEEDED when the source does not match: FAILED with EXTERNAL_CHECKSUM_MISMATCH, nothing written', async () => {
    const task = await tasks.run(
      submit([item('bad.sif', { external_checksum: sha256('other bytes'), checksum_algorithm: 'SHA256' })]),
    );
    expect(task.status).toBe('FAILED');
    expect(task.fatal_error).toMatchObject({ code: 'EXTERNAL_CHECKSUM_MISMATCH' });
    const { body } = await tasks.call('GET', `task/${String(task.task_id)}/event_list`);
    const codes = (body.DATA as Json[]).map((e) => [e.code, e.is_error]);
    expect(codes).toContainEqual(['EXTERNAL_CHECKSUM_MISMATCH', true]);
    await expect(access(join(sb.tmp, 'bad.sif'))).rejects.toThrow();
  });

  it('checks the bytes it copied: a source changed during the copy fails the task and leaves nothing', async () => {
    // 512 KiB at 64 KiB/s: the copy is still running when the source's end is rewritten.
    const size = 512 * 1024;
    const original = Buffer.alloc(size, 7);
    const source = join(sb.collection.root!, 'in', 'moving.sif');
    await writeFile(source, original);
    sb.context.world.transferRate = 64 * 1024;
    try {
      const answer = await submit([
        {
          ...item('moving.sif', {
            external_checksum: createHash('sha256').update(original).digest('hex'),
            checksum_algorithm: 'SHA256',
          }),
          source_path: '/in/moving.sif',
        },
      ]);
      const id = String(answer.body.task_id);
      await tasks.waitFor(id, (t) => Number(t.bytes_transferred) > 0 || t.status !== 'ACTIVE');
      const handle = await open(source, 'r+');
      await handle.write(Buffer.alloc(64 * 1024, 9), 0, 64 * 1024, size - 64 * 1024);
      await handle.close();
      const task = await tasks.waitFor(id);
      expect(task.status).toBe('FAILED');
      expect(task.fatal_error).toMatchObject({ code: 'EXTERNAL_CHECKSUM_MISMATCH' });
      await expect(access(join(sb.tmp, 'moving.sif'))).rejects.toThrow();
      expect((await readdir(sb.tmp)).filter((n) => n.endsWith('.partial'))).toEqual([]);
    } finally {
      delete sb.context.world.transferRate;
    }
  });

  it('refuses an unknown algorithm, an algorithm without a checksum, a checksum on a folder and non-boolean notify flags', async () => {
    const refused = async (items: Json[], extra: Json = {}) => {
      const answer = await submit(items, extra);
      expect(answer.status).toBe(400);
      return String(answer.body.message);
    };
    expect(await refused([item('x', { external_checksum: 'abc', checksum_algorithm: 'CRC9' })])).toMatch(
      /checksum_algorithm must be one of/,
    );
    expect(await refused([item('x', { checksum_algorithm: 'SHA256' })])).toMatch(/needs an external_checksum/);
    expect(await refused([item('x', { external_checksum: 'not hex', checksum_algorithm: 'SHA256' })])).toMatch(
      /hexadecimal/,
    );
    expect(
      await refused([{ ...item('x', { external_checksum: 'abc' }), source_path: '/in/', recursive: true }]),
    ).toMatch(/not a recursive item/);
    expect(await refused([item('x', {})], { notify_on_failed: 'no' })).toMatch(
      /notify_on_failed must be true or false/,
    );
  });
});
