import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSif } from '../../../src/core/sif.js';
import type { Transport } from '../../../src/core/registry/types.js';
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

const shub = (): string => join(sb.collection.root!, 'shub');

describe.each<Transport>(['https', 'transfer'])('registry over %s', (transport) => {
  const coll = `t-${transport}`;
  const uri = (rest: string): string => `globus://${sb.collection.id}/${coll}/${rest}`;

  it('pushes, pulls from cache, records, searches and deletes, with the minimum of calls', async () => {
    // The registry exists already (the common case): a first push elsewhere created it.
    const seed = makeRegistry(sb, transport, {}, `seed-${transport}`);
    await seed.registry.push(await randomFile(sb, `seed-${transport}.bin`, 64), uri('seed'));
    await seed.registry.close();
    const h = makeRegistry(sb, transport, {}, `main-${transport}`);
    const file = await randomFile(sb, `main-${transport}.bin`);
    const version = await sha(file);

    let since = logIndex(sb);
    const [pushed] = await h.registry.push(file, uri('app:v1'), { source: { git_sha: 'abc123' } });
    const pushCalls = callSummary(requests(sb, since));
    expect(pushed).toMatchObject({ status: 'pushed', version, sha256: version, size: 64 * 1024, tag: 'v1', transport });
    expect(pushed!.uri).toBe(`globus://${sb.collection.id}/${coll}/app:v1@${version}`);
    expect(pushed!.httpsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/shub\//);
    const remote = await filesBelow(join(shub(), coll, 'app'));
    expect(remote).toEqual([
      `sha256.${version}.sif`,
      expect.stringMatching(new RegExp(`^v1@${version}\\.\\d{8}T\\d{9}Z\\.json$`)),
    ]);
    expect(pushed!.path).toBe(`/shub/${coll}/app/sha256.${version}.sif`);
    const manifest = JSON.parse(await readFile(join(shub(), coll, 'app', remote[1]!), 'utf8'));
    expect(manifest).toMatchObject({
      version,
      size: 64 * 1024,
      pushed_by: sb.client.id,
      source: { git_sha: 'abc123' },
    });
    expect(manifest.labels).toBeUndefined();
    const polls = pushCalls.filter((c) => c === 'GET task').length;
    const steady = pushCalls.filter((c) => c !== 'GET task');
    // The first push of a Registry reads the layout from the marker: one GET, or one small task over Transfer.
    if (transport === 'https') {
      expect(steady).toEqual([
        'GET endpoint',
        'GET stat',
        'GET https',
        'GET ls',
        'POST mkdir',
        'PUT https',
        'POST rename',
        'PUT https',
        'POST rename',
        'GET ls',
      ]);
      expect(polls).toBe(0);
      expect(pushed!.taskId).toBeUndefined();
    } else {
      // Before each task the local endpoint's document is read (a disconnected personal endpoint
      // fails before the task); the first task brings the marker, which says the layout to write.
      expect(steady).toEqual([
        'GET endpoint',
        'GET stat',
        'GET endpoint',
        'GET submission_id',
        'POST transfer',
        'GET ls',
        'GET endpoint',
        'GET submission_id',
        'POST transfer',
        'POST rename',
        'POST rename',
        'GET ls',
      ]);
      expect(polls).toBeGreaterThanOrEqual(2);
      expect(pushed!.taskId).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(h.events.some((e) => e.type === 'call')).toBe(true);
    expect(h.events.some((e) => e.type === 'step')).toBe(true);

    since = logIndex(sb);
    const pulled = await h.registry.pull(uri('app:v1'));
    const pullCalls = callSummary(requests(sb, since));
    expect(pulled).toMatchObject({ status: 'pulled', version, transport });
    expect(await sha(pulled.image!)).toBe(version);
    expect(pulled.image).toBe(join(h.storage, coll, 'app', `v1@${version}.sif`));
    if (transport === 'https') expect(pullCalls).toEqual(['GET ls', 'GET https', 'GET https']);
    else
      expect(pullCalls.filter((c) => c !== 'GET task')).toEqual([
        'GET ls',
        'GET endpoint',
        'GET submission_id',
        'POST transfer',
      ]);
    expect(await filesBelow(join(h.storage, coll, 'app'))).toEqual([`v1@${version}.sif`]);

    since = logIndex(sb);
    const again = await h.registry.pull(uri('app:v1'));
    expect(again.status).toBe('cached');
    expect(callSummary(requests(sb, since))).toEqual(['GET ls']);

    const local = await h.registry.inspect(`${coll}/app:v1`);
    expect(local).toMatchObject({
      version,
      image: pulled.image,
      url: `globus://${sb.collection.id}/${coll}/app:v1@${version}`,
    });
    expect((local!.manifest as { source: unknown }).source).toEqual({ git_sha: 'abc123' });

    since = logIndex(sb);
    const recorded = await h.registry.record(uri('app:v1'));
    expect(recorded).toMatchObject({ status: 'recorded', version });
    const recordCalls = callSummary(requests(sb, since));
    if (transport === 'https') expect(recordCalls).toEqual(['GET ls', 'GET https']);
    else
      expect(recordCalls.filter((c) => c !== 'GET task')).toEqual([
        'GET ls',
        'GET endpoint',
        'GET submission_id',
        'POST transfer',
      ]);

    const hits = await h.registry.search(`${coll}/app`, { endpoint: sb.collection.id });
    expect(hits.map((x) => x.uri)).toEqual([`globus://${sb.collection.id}/${coll}/app:v1`]);
    expect(hits[0]!.image).toMatchObject({ version, size: 64 * 1024 });

    since = logIndex(sb);
    const deleted = await h.registry.delete(uri('app:v1'));
    expect(deleted.deleted).toEqual([`globus://${sb.collection.id}/${coll}/app:v1@${version}`]);
    expect(callSummary(requests(sb, since)).filter((c) => c === 'POST delete')).toHaveLength(1);
    // The tag's manifest and the version file no other tag names.
    expect(await filesBelow(join(shub(), coll, 'app'))).toEqual([]);
    // The local copy stays.
    expect((await stat(pulled.image!)).size).toBe(64 * 1024);
    expect((await failure(h.registry.delete(uri('app:v1')))).code).toBe('NOT_FOUND');
    await h.registry.close();
  });

  it('reports "exists" for the same file twice, without moving bytes again', async () => {
    const h = makeRegistry(sb, transport, {}, `twice-${transport}`);
    const file = await randomFile(sb, `twice-${transport}.bin`);
    await h.registry.push(file, uri('twice:latest'));
    const since = logIndex(sb);
    const [second] = await h.registry.push(file, uri('twice:latest'));
    expect(second!.status).toBe('exists');
    const calls = callSummary(requests(sb, since));
    expect(calls.filter((c) => c.startsWith('PUT') || c === 'POST transfer' || c === 'POST rename')).toEqual([]);
    expect(h.events.some((e) => e.type === 'notice' && /already there/.test(e.message))).toBe(true);
    await h.registry.close();
  });

  it('stores one image file for three tags: each more tag is one small manifest, no copy', async () => {
    const h = makeRegistry(sb, transport, {}, `tags-${transport}`);
    const file = await randomFile(sb, `tags-${transport}.bin`, 200_000);
    const version = await sha(file);
    const since = logIndex(sb);
    const results = await h.registry.push(file, uri('multi:v2'), { tags: ['latest', 'stable', 'v2'] });
    expect(results.map((r) => [r.tag, r.status])).toEqual([
      ['v2', 'pushed'],
      ['latest', 'pushed'],
      ['stable', 'pushed'],
    ]);
    const log = requests(sb, since);
    const imagePuts = log.filter((r) => r.origin === 'https' && r.method === 'PUT' && /\.partial$/.test(r.path));
    const transfers = callSummary(log).filter((c) => c === 'POST transfer');
    if (transport === 'https') {
      // one image PUT + three manifest PUTs, no task
      expect(imagePuts).toHaveLength(4);
      expect(transfers).toHaveLength(0);
    } else {
      // one task carrying the image and the three manifests (and, first, the small one reading the marker)
      expect(imagePuts).toHaveLength(0);
      expect(transfers).toHaveLength(2);
    }
    const files = await filesBelow(join(shub(), coll, 'multi'));
    const stamp = '\\d{8}T\\d{9}Z';
    expect(files).toHaveLength(4);
    expect(files.filter((f) => f.endsWith('.sif'))).toEqual([`sha256.${version}.sif`]);
    expect(files.filter((f) => f.endsWith('.json'))).toEqual(
      ['latest', 'stable', 'v2'].map((t) => expect.stringMatching(new RegExp(`^${t}@${version}\\.${stamp}\\.json$`))),
    );
    expect(await sha(join(shub(), coll, 'multi', `sha256.${version}.sif`))).toBe(version);
    expect((await stat(join(shub(), coll, 'multi', files[0]!))).size).toBeLessThan(2048);
    // One more tag on the version already there: one small file, no image bytes, no task.
    const before = logIndex(sb);
    const [added] = await h.registry.push(file, uri('multi:nightly'));
    expect(added).toMatchObject({ status: 'pushed', version, path: `/shub/${coll}/multi/sha256.${version}.sif` });
    const addCalls = callSummary(requests(sb, before));
    expect(addCalls.filter((c) => c === 'POST transfer' || c === 'POST delete')).toHaveLength(
      transport === 'https' ? 0 : 1,
    );
    expect(requests(sb, before).filter((r) => r.origin === 'https' && r.method === 'PUT')).toHaveLength(
      transport === 'https' ? 1 : 0,
    );
    expect(await filesBelow(join(shub(), coll, 'multi'))).toHaveLength(5);
    for (const t of ['latest', 'stable', 'v2', 'nightly'])
      expect((await h.registry.resolve(uri(`multi:${t}`))).httpsUrl).toBe(added!.httpsUrl);
    await h.registry.close();
  });

  it('puts SIF labels in the manifest', async () => {
    const h = makeRegistry(sb, transport, {}, `sif-${transport}`);
    const file = join(sb.tmp, `labelled-${transport}.sif`);
    await writeSif(file, {
      labels: { maintainer: 'lab', 'org.label-schema.version': '1.2' },
      definition: 'Bootstrap: docker\nFrom: alpine\n',
      payloadBytes: Buffer.alloc(5000, 7),
    });
    const [pushed] = await h.registry.push(file, uri('labelled'));
    expect(pushed!.labels).toEqual({ maintainer: 'lab', 'org.label-schema.version': '1.2' });
    const record = await h.registry.record(uri('labelled'));
    expect(record.labels).toEqual({ maintainer: 'lab', 'org.label-schema.version': '1.2' });
    const [manifestName] = (await filesBelow(join(shub(), coll, 'labelled'))).filter((f) => f.endsWith('Z.json'));
    const manifest = JSON.parse(await readFile(join(shub(), coll, 'labelled', manifestName!), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(manifest.definition).toBe('Bootstrap: docker\nFrom: alpine\n');
    await h.registry.close();
  });

  it('says which tags exist when a tag or image is missing', async () => {
    const h = makeRegistry(sb, transport, {}, `missing-${transport}`);
    await h.registry.push(await randomFile(sb, `missing-${transport}.bin`), uri('present:one'));
    const tag = await failure(h.registry.pull(uri('present:two')));
    expect(tag.code).toBe('NOT_FOUND');
    expect(tag.message).toMatch(/existing tags: one/);
    const image = await failure(h.registry.record(uri('absent')));
    expect(image.code).toBe('NOT_FOUND');
    await h.registry.close();
  });

  it('refuses a download whose bytes do not match the version, storing nothing', async () => {
    const h = makeRegistry(sb, transport, {}, `corrupt-${transport}`);
    const file = await randomFile(sb, `corrupt-${transport}.bin`);
    const [pushed] = await h.registry.push(file, uri('corrupt'));
    if (transport === 'https') {
      sb.context.faults.add({
        match: { origin: sb.collection.id, method: 'GET', path: '\\.sif$' },
        action: { kind: 'corrupt' },
      });
    } else {
      // A Transfer task moves bytes faithfully: damage the remote copy itself.
      const onDisk = join(shub(), coll, 'corrupt', `sha256.${pushed!.version}.sif`);
      const bytes = await readFile(onDisk);
      bytes[100] = bytes[100]! ^ 0xff;
      await writeFile(onDisk, bytes);
    }
    const err = await failure(h.registry.pull(uri('corrupt')));
    expect(err.code).toBe('CHECKSUM_MISMATCH');
    expect(await filesBelow(h.storage)).toEqual([]);
    expect(await h.registry.images()).toEqual([]);
    await h.registry.close();
  });

  it('renews an expired token between operations', async () => {
    const h = makeRegistry(sb, transport, {}, `expire-${transport}`);
    await h.registry.push(await randomFile(sb, `expire-${transport}.bin`), uri('expiring'));
    expect(sb.context.tokens.expire()).toBeGreaterThan(0);
    const since = logIndex(sb);
    const pulled = await h.registry.pull(uri('expiring'));
    expect(pulled.status).toBe('pulled');
    expect(requests(sb, since).some((r) => r.status === 401)).toBe(true);
    await h.registry.close();
  });

  it('reports a task that ends FAILED with its reason', async () => {
    const h = makeRegistry(sb, transport, {}, `taskfail-${transport}`);
    const file = await randomFile(sb, `taskfail-${transport}.bin`);
    try {
      if (transport === 'transfer') {
        sb.context.faults.add({
          match: { taskType: 'TRANSFER' },
          action: { kind: 'task-fail', code: 'ENDPOINT_ERROR', description: 'failed by the test' },
        });
        const err = await failure(h.registry.push(file, uri('taskfail'), { tags: ['other'] }));
        expect(err.code).toBe('TASK_FAILED');
        expect(err.message).toMatch(/ENDPOINT_ERROR.*failed by the test/);
        // Nothing visible and no hidden leftovers.
        expect(await filesBelow(join(shub(), coll, 'taskfail'))).toEqual([]);
      } else {
        // A push over HTTPS runs no task (more tags are manifests); a delete does.
        await h.registry.push(file, uri('taskfail'), { tags: ['other'] });
        const there = await filesBelow(join(shub(), coll, 'taskfail'));
        sb.context.faults.add({
          match: { taskType: 'DELETE' },
          action: { kind: 'task-fail', code: 'ENDPOINT_ERROR', description: 'failed by the test' },
        });
        const err = await failure(h.registry.delete(uri('taskfail')));
        expect(err.code).toBe('TASK_FAILED');
        expect(err.message).toMatch(/ENDPOINT_ERROR.*failed by the test/);
        expect(await filesBelow(join(shub(), coll, 'taskfail'))).toEqual(there);
      }
    } finally {
      sb.context.faults.clear();
      await h.registry.close();
    }
  });
});
