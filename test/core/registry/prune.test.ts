/** prune against the sandbox: what it keeps and removes, checked on disk, in one delete task. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestSandbox, type TestSandbox } from '../../support/sandbox.js';
import { failure } from '../../support/errors.js';
import { fileSha256 as sha } from '../../support/files.js';
import { closeCoreAndSandbox } from '../../support/lifecycle.js';
import { callSummary, filesBelow, logIndex, makeRegistry, randomFile, requests } from './support.js';

let sb: TestSandbox;
beforeAll(async () => {
  sb = await startTestSandbox();
});
afterAll(() => closeCoreAndSandbox(sb));

const uri = (rest: string): string => `globus://${sb.collection.id}/${rest}`;
const folder = (c: string, n: string): string => join(sb.collection.root!, 'shub', c, n);
const twoDaysAgo = (): Date => new Date(Date.now() - 2 * 24 * 3600 * 1000);
const blank = (files: string[]): string[] =>
  files.map((f) => f.replace(/\.\d{8}T\d{9}Z\.json$/, '.<stamp>.json')).sort();

describe('prune', () => {
  it('keeps the newest N and every version a tag names, deletes the rest in one task, and spares a young unnamed file', async () => {
    const h = makeRegistry(sb, 'https', {}, 'prune');
    const files = await Promise.all(['a', 'b', 'c', 'd'].map((x) => randomFile(sb, `prune-${x}.bin`, 5000)));
    const [a, b, c, d] = await Promise.all(files.map((f) => sha(f)));
    await h.registry.push(files[0]!, uri('lab/tool:latest'), { tags: ['stable'] });
    for (const f of files.slice(1)) await h.registry.push(f, uri('lab/tool:latest'));
    const dir = folder('lab', 'tool');
    // A version file no manifest names: young (a push in flight) and old (left behind), and a dead push's upload.
    const young = `sha256.${'e'.repeat(64)}.sif`;
    const old = `sha256.${'f'.repeat(64)}.sif`;
    const upload = '.latest@upload-00000000-0000-4000-8000-000000000000.partial';
    for (const n of [young, old, upload]) await writeFile(join(dir, n), 'x');
    for (const n of [old, upload]) await utimes(join(dir, n), twoDaysAgo(), twoDaysAgo());
    const before = await filesBelow(dir);

    const dry = await h.registry.prune(uri('lab/tool'), { keep: 1, dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.taskId).toBeUndefined();
    expect(await filesBelow(dir)).toEqual(before);
    const going = [
      `sha256.${b}.sif`,
      `sha256.${c}.sif`,
      old,
      `latest@${b}.<stamp>.json`,
      `latest@${c}.<stamp>.json`,
      upload,
    ].sort();
    expect(blank(dry.removed.map((r) => r.path.slice(r.path.lastIndexOf('/') + 1)))).toEqual(blank(going));
    expect(dry.kept.map((k) => [k.version, k.tags])).toEqual(
      [
        [a, ['stable']],
        [d, ['latest']],
      ].sort((x, y) => (x[0]! < y[0]! ? -1 : 1)),
    );

    const since = logIndex(sb);
    const done = await h.registry.prune(uri('lab/tool'), { keep: 1 });
    const calls = callSummary(requests(sb, since));
    expect(calls.filter((x) => x !== 'GET task')).toEqual(['GET ls', 'GET submission_id', 'POST delete']);
    expect(done.taskId).toMatch(/^[0-9a-f-]{36}$/);
    // A is kept by stable (with latest's older manifest naming it, so latest@A still pins it), D by latest and as the newest.
    expect(blank(await filesBelow(dir))).toEqual(
      [
        `sha256.${a}.sif`,
        `sha256.${d}.sif`,
        young,
        `latest@${a}.<stamp>.json`,
        `stable@${a}.<stamp>.json`,
        `latest@${d}.<stamp>.json`,
      ].sort(),
    );
    expect((await h.registry.pull(uri('lab/tool:stable'))).version).toBe(a);
    expect((await h.registry.pull(uri('lab/tool:latest'))).version).toBe(d);
    expect((await failure(h.registry.resolve(uri(`lab/tool:latest@${b}`)))).code).toBe('NOT_FOUND');

    // A tag moving back to an older version is a new manifest: the old one stays, the newest stamp wins.
    await h.registry.push(files[0]!, uri('lab/tool:latest'));
    expect((await h.registry.resolve(uri('lab/tool:latest'))).version).toBe(a);
    expect((await filesBelow(dir)).filter((f) => f.startsWith(`latest@${a}.`))).toHaveLength(2);
    // Pruning again drops the repeated manifest and D (no tag names it; A is the newest).
    const again = await h.registry.prune(uri('lab/tool'), { keep: 1, graceHours: 48 });
    expect(again.removed.map((r) => r.kind).sort()).toEqual(['manifest', 'manifest', 'version']);
    expect(blank(await filesBelow(dir))).toEqual(
      [`sha256.${a}.sif`, young, `latest@${a}.<stamp>.json`, `stable@${a}.<stamp>.json`].sort(),
    );
    await h.registry.close();
  });

  it('prunes a whole collection with one delete task, and refuses a tag or a bad keep', async () => {
    const h = makeRegistry(sb, 'transfer', {}, 'prune-coll');
    for (const n of ['one', 'two']) {
      for (let i = 0; i < 3; i++)
        await h.registry.push(await randomFile(sb, `prune-${n}-${i}.bin`, 3000), uri(`many/${n}:latest`));
    }
    const since = logIndex(sb);
    const done = await h.registry.prune(uri('many'), { keep: 2 });
    expect(callSummary(requests(sb, since)).filter((x) => x === 'POST delete')).toHaveLength(1);
    expect(done.removed.filter((r) => r.kind === 'version').map((r) => r.name)).toEqual(['one', 'two']);
    for (const n of ['one', 'two'])
      expect((await filesBelow(folder('many', n))).filter((f) => f.endsWith('.sif'))).toHaveLength(2);
    const none = await h.registry.prune(uri('many'), { keep: 2 });
    expect(none).toMatchObject({ removed: [] });
    expect(none.taskId).toBeUndefined();
    expect((await failure(h.registry.prune(uri('many/one:latest'), { keep: 1 }))).code).toBe('INVALID_REFERENCE');
    expect((await failure(h.registry.prune(uri('many'), { keep: -1 }))).code).toBe('INVALID_INPUT');
    // A grace under an hour would collect pushes in flight: refused, nothing deleted.
    const before = await filesBelow(folder('many', 'one'));
    const short = await failure(h.registry.prune(uri('many'), { keep: 0, graceHours: 0 }));
    expect([short.code, short.message]).toEqual(['INVALID_INPUT', expect.stringMatching(/1 or more/)]);
    expect(await filesBelow(folder('many', 'one'))).toEqual(before);
    await h.registry.close();
  });

  it('a tag added to a version whose file a delete or prune removes meanwhile fails CONFLICT, and a rerun uploads it again', async () => {
    const h = makeRegistry(sb, 'https', {}, 'prune-race');
    const file = await randomFile(sb, 'prune-race.bin', 4000);
    const [first] = await h.registry.push(file, uri('race/tool:a'));
    const dir = folder('race', 'tool');
    // The tag's manifest upload waits; meanwhile the version file goes, as a concurrent prune would remove it.
    const rule = sb.context.faults.add({
      match: { origin: sb.collection.id, method: 'PUT' },
      action: { kind: 'delay', ms: 1500 },
      times: 1,
    });
    const pushing = failure(h.registry.push(file, uri('race/tool:b')));
    await new Promise((r) => setTimeout(r, 500));
    const versionFile = (await readdir(dir)).find((f) => f.startsWith('sha256.'))!;
    await rm(join(dir, versionFile));
    const err = await pushing;
    sb.context.faults.remove(rule.id);
    expect([err.code, err.message]).toEqual(['CONFLICT', expect.stringMatching(/removed while .* push .* again/)]);
    const again = await h.registry.push(file, uri('race/tool:b'));
    expect(again.map((r) => r.version)).toEqual([first!.version]);
    expect(await sha(join(dir, versionFile))).toBe(first!.version);
    await h.registry.close();
  });
});
