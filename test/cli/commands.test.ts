import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeSif } from '../../src/core/sif.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { fileSha256 } from '../support/files.js';
import { assertBuilt, Cli, json, leakedSecrets, sandboxEnv } from './support.js';

interface Image {
  uri: string;
  tag: string;
  version: string;
  sha256: string;
  status: string;
  transport?: string;
  image?: string;
  labels?: Record<string, string>;
}

describe('sregistry-globus commands (real process, sandbox)', () => {
  let sb: TestSandbox;
  let cli: Cli;
  let file: string;
  let sha: string;
  let remote: string;

  beforeAll(async () => {
    assertBuilt();
    sb = await startTestSandbox();
    cli = new Cli(await sandboxEnv(sb));
    file = join(sb.tmp, 'hello.sif');
    await writeSif(file, { labels: { maintainer: 'cli test' }, payloadBytes: Buffer.alloc(64 * 1024, 7) });
    sha = await fileSha256(file);
    remote = `globus://${sb.collection.id}/lab/hello`;
  });
  afterAll(() => sb.stop());

  it('push --json uploads once for two tags and prints one document', async () => {
    const run = await cli.run([
      'push',
      file,
      `${remote}:latest`,
      '--tag',
      'v1',
      '--source',
      'git_sha=abc123',
      '--transport',
      'https',
      '--json',
    ]);
    expect(run.code).toBe(0);
    const doc = json<{ images: Image[] }>(run);
    expect(doc.images.map((i) => i.tag).sort()).toEqual(['latest', 'v1']);
    for (const image of doc.images) {
      expect(image.status).toBe('pushed');
      expect(image.sha256).toBe(sha);
      expect(image.transport).toBe('https');
      expect(image.labels?.maintainer).toBe('cli test');
    }
    // --json keeps stderr free of steps and progress.
    expect(run.stderr).toBe('');
  });

  it('push of the same bytes again reports "exists"', async () => {
    const run = await cli.run(['push', file, `${remote}:latest`, '--json']);
    expect(run.code).toBe(0);
    expect(json<{ images: Image[] }>(run).images[0]?.status).toBe('exists');
  });

  it('push without --json prints a table on stdout and steps on stderr', async () => {
    const run = await cli.run(['push', file, `${remote}:human`]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^STATUS\s+IMAGE/m);
    expect(run.stdout).toContain('lab/hello:human');
    expect(run.stderr.trim().length).toBeGreaterThan(0);
    expect(() => JSON.parse(run.stdout)).toThrow();
  });

  it('search without --endpoint finds endpoints', async () => {
    const run = await cli.run(['search', 'sandbox', '--json']);
    expect(run.code).toBe(0);
    const hits = json<{ hits: Array<{ kind: string; uri: string; endpoint?: { id: string } }> }>(run).hits;
    expect(hits.some((h) => h.kind === 'endpoint' && h.endpoint?.id === sb.collection.id)).toBe(true);
  });

  it('search --endpoint lists the registry images matching the query', async () => {
    const run = await cli.run(['search', 'hello', '--endpoint', sb.collection.id, '--json']);
    expect(run.code).toBe(0);
    const hits = json<{ hits: Array<{ kind: string; image?: { name: string; tag: string; version: string } }> }>(
      run,
    ).hits;
    const tags = hits.filter((h) => h.kind === 'image').map((h) => h.image?.tag);
    expect(tags).toEqual(expect.arrayContaining(['latest', 'v1']));
    expect(hits.every((h) => h.image?.name === 'hello')).toBe(true);
  });

  it('record writes a record without a file', async () => {
    const run = await cli.run(['record', `${remote}:latest`, '--json']);
    expect(run.code).toBe(0);
    const image = json<Image>(run);
    expect(image.status).toBe('recorded');
    expect(image.version).toBe(sha);
    expect(image.image).toBeUndefined();
  });

  it('pull over HTTPS stores a verified file', async () => {
    const run = await cli.run(['pull', `${remote}:latest`, '--transport', 'https', '--json']);
    expect(run.code).toBe(0);
    const image = json<Image>(run);
    expect(image.status).toBe('pulled');
    expect(image.image?.startsWith(join(sb.tmp, 'storage'))).toBe(true);
    expect(await fileSha256(image.image!)).toBe(sha);
  });

  it('pull over Transfer through the personal endpoint, flags winning over the environment', async () => {
    const storage = join(sb.tmp, 'storage-transfer');
    const run = await cli.run([
      'pull',
      `${remote}:v1`,
      '--transport',
      'transfer',
      '--local-endpoint',
      sb.personal.id,
      '--storage',
      storage,
      '--json',
    ]);
    expect(run.code).toBe(0);
    const image = json<Image & { taskId?: string }>(run);
    expect(image.transport).toBe('transfer');
    expect(image.taskId).toMatch(/^[0-9a-f-]{36}$/);
    expect(image.image?.startsWith(storage)).toBe(true);
    expect(existsSync(image.image!)).toBe(true);
  });

  it('inspect and images read the local records', async () => {
    const inspected = await cli.run(['inspect', 'lab/hello:v1', '--json']);
    expect(inspected.code).toBe(0);
    const record = json<{ collection: string; name: string; tag: string; version: string }>(inspected);
    expect(record).toMatchObject({ collection: 'lab', name: 'hello', tag: 'v1', version: sha });

    const listed = await cli.run(['images', 'hello', '--json']);
    expect(listed.code).toBe(0);
    const tags = json<{ images: Array<{ tag: string }> }>(listed).images.map((i) => i.tag);
    expect(tags).toEqual(expect.arrayContaining(['latest', 'v1']));

    const human = await cli.run(['images']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^IMAGE\s+VERSION/m);
  });

  it('inspect of an image never recorded fails with exit 1 and an error document', async () => {
    const run = await cli.run(['inspect', 'lab/nothing-here', '--json']);
    expect(run.code).toBe(1);
    const doc = json<{ error: { code: string; message: string; request_id: string | null } }>(run);
    expect(doc.error.code).toBe('NOT_FOUND');
    expect(doc.error.message).toContain('lab/nothing-here');
    expect(doc.error).toHaveProperty('request_id');
  });

  it('delete removes a tag; recording it afterwards fails with NOT_FOUND', async () => {
    const run = await cli.run(['delete', `${remote}:v1`, '--json']);
    expect(run.code).toBe(0);
    const doc = json<{ deleted: string[]; taskId?: string }>(run);
    expect(doc.deleted).toEqual([expect.stringContaining('/lab/hello:v1@')]);

    const again = await cli.run(['record', `${remote}:v1`, '--json']);
    expect(again.code).toBe(1);
    expect(json<{ error: { code: string } }>(again).error.code).toBe('NOT_FOUND');
  });

  it('prune --dry-run lists, prune deletes what no tag names beyond --keep, checked on disk', async () => {
    const older = join(sb.tmp, 'older.sif');
    await writeSif(older, { payloadBytes: Buffer.alloc(4096, 1) });
    const olderSha = await fileSha256(older);
    const newer = join(sb.tmp, 'newer.sif');
    await writeSif(newer, { payloadBytes: Buffer.alloc(4096, 2) });
    for (const f of [older, newer])
      expect((await cli.run(['push', f, `globus://${sb.collection.id}/lab/pruned`, '--json'])).code).toBe(0);
    const dir = join(sb.collection.root!, 'shub', 'lab', 'pruned');
    const before = readdirSync(dir).sort();
    const dry = await cli.run([
      'prune',
      `globus://${sb.collection.id}/lab/pruned`,
      '--keep',
      '0',
      '--dry-run',
      '--json',
    ]);
    expect(dry.code).toBe(0);
    const doc = json<{ dryRun: boolean; removed: Array<{ kind: string; version: string }> }>(dry);
    expect(doc.dryRun).toBe(true);
    expect(doc.removed.map((r) => [r.kind, r.version]).sort()).toEqual([
      ['manifest', olderSha],
      ['version', olderSha],
    ]);
    expect(readdirSync(dir).sort()).toEqual(before);
    const run = await cli.run(['prune', `globus://${sb.collection.id}/lab/pruned`, '--keep', '0']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^deleted \/shub\/lab\/pruned\/sha256\.[0-9a-f]{64}\.sif \(version\)$/m);
    expect(readdirSync(dir).filter((f) => f.includes(olderSha))).toEqual([]);
    expect(readdirSync(dir)).toHaveLength(2);
    const usage = await cli.run(['prune', `globus://${sb.collection.id}/lab/pruned`]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--keep N is required/);
  });

  it('--debug shows each Globus call with method, path and status', async () => {
    const run = await cli.run(['search', 'hello', '--endpoint', sb.collection.id, '--debug']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^debug: GET \/v0\.10\/operation\/endpoint\/[0-9a-f-]+\/ls 200 \(/m);
  });

  it('--quiet leaves stderr empty on success', async () => {
    const run = await cli.run(['record', `${remote}:latest`, '--quiet']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('recorded');
  });

  it('never printed the client secret or any token the sandbox issued', () => {
    expect(cli.runs.length).toBeGreaterThan(10);
    expect(sb.context.tokens.all().length).toBeGreaterThan(0);
    expect(leakedSecrets(cli.runs, [sb.client.secret, ...sb.context.tokens.all()])).toEqual([]);
  });
});
