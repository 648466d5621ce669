/**
 * The Action's push, run as the runner runs it (node dist/index.js with INPUT_* variables
 * and file commands) against a sandbox started here.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSif } from '../../src/core/sif.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { fileSha256 as sha256 } from '../support/files.js';
import { addCollectionUser, extraEndpoint, newClient } from '../support/worlds.js';
import type { SandboxEndpoint } from '../../src/sandbox/model.js';
import { newJob, runAction, sandboxInputs, visibleText, type ActionRun, type RunnerFolders } from './runner.js';

let sb: TestSandbox;
let site: SandboxEndpoint;
const reader = newClient('reader', `reader-${randomUUID()}`);

beforeAll(async () => {
  sb = await startTestSandbox((world, tmp) => {
    addCollectionUser(world, reader);
    site = extraEndpoint({
      displayName: 'action-site-b',
      entityType: 'GCSv5_guest_collection',
      owner: world.clients[0]!.id,
      https: true,
      root: join(tmp, 'site-b'),
    });
    mkdirSync(site.root!, { recursive: true });
    world.endpoints.push(site);
  });
});
afterAll(async () => {
  await sb.stop();
});

async function sif(job: RunnerFolders, rel: string, payload: string): Promise<string> {
  const file = join(job.workspace, rel);
  await mkdir(join(file, '..'), { recursive: true });
  await writeSif(file, {
    payloadBytes: Buffer.from(payload.repeat(200)),
    labels: { 'org.label-schema.name': payload },
    created: new Date(0),
    id: '00000000-0000-4000-8000-000000000000',
  });
  return file;
}

const baseInputs = (extra: Record<string, string> = {}): Record<string, string> => sandboxInputs(sb, extra);

const json = (run: ActionRun, name: string): string[] => JSON.parse(run.outputs[name] ?? 'null') as string[];

/** What the registry holds under the collection root for one image. */
const remoteFiles = async (collection: string, name: string): Promise<string[]> =>
  (await readdir(join(sb.collection.root!, 'shub', collection, name)).catch(() => [] as string[]))
    .filter((f) => !f.startsWith('.'))
    .sort();

/** The same, with the manifests' stamps blanked. */
const remoteShape = async (collection: string, name: string): Promise<string[]> =>
  (await remoteFiles(collection, name)).map((f) => f.replace(/\.\d{8}T\d{9}Z\.json$/, '.<stamp>.json')).sort();

function expectClean(run: ActionRun, ...secrets: string[]): void {
  const text = visibleText(run);
  for (const s of [...secrets, ...sb.context.tokens.all()]) expect(text).not.toContain(s);
}

describe('action push', () => {
  it('pushes every matched image with every tag, reports outputs and a summary, and keeps secrets out', async () => {
    const job = await newJob();
    const a = await sif(job, 'build/alpine.sif', 'alpine');
    const b = await sif(job, 'build/tools.sif', 'tools');
    await sif(job, 'build/skip-me.sif', 'skip');
    const tokensBefore = new Set(sb.context.tokens.all());
    const run = await runAction({
      job,
      inputs: baseInputs({ images: 'build/*.sif\n!build/skip-*.sif', name: 'ci/', tags: 'v1\nlatest' }),
      env: { RUNNER_DEBUG: '1' },
    });
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    const va = await sha256(a);
    const vb = await sha256(b);
    expect(json(run, 'versions')).toEqual([va, va, vb, vb]);
    expect(json(run, 'uris')).toEqual([
      `globus://${sb.collection.id}/ci/alpine:v1@${va}`,
      `globus://${sb.collection.id}/ci/alpine:latest@${va}`,
      `globus://${sb.collection.id}/ci/tools:v1@${vb}`,
      `globus://${sb.collection.id}/ci/tools:latest@${vb}`,
    ]);
    expect(run.outputs.uri).toBe(`globus://${sb.collection.id}/ci/alpine:v1@${va}`);
    expect(run.outputs.version).toBe(va);
    expect(JSON.parse(run.outputs.results!)).toEqual([
      {
        image: 'ci/alpine',
        tag: 'v1',
        status: 'pushed',
        version: va,
        uri: `globus://${sb.collection.id}/ci/alpine:v1@${va}`,
      },
      {
        image: 'ci/alpine',
        tag: 'latest',
        status: 'pushed',
        version: va,
        uri: `globus://${sb.collection.id}/ci/alpine:latest@${va}`,
      },
      {
        image: 'ci/tools',
        tag: 'v1',
        status: 'pushed',
        version: vb,
        uri: `globus://${sb.collection.id}/ci/tools:v1@${vb}`,
      },
      {
        image: 'ci/tools',
        tag: 'latest',
        status: 'pushed',
        version: vb,
        uri: `globus://${sb.collection.id}/ci/tools:latest@${vb}`,
      },
    ]);
    expect(run.outputs['cache-hit']).toBe('');
    expect(json(run, 'https-urls').every((u) => u.startsWith('http://127.0.0.1:'))).toBe(true);
    expect(json(run, 'urls')[0]).toBe(
      `https://app.globus.org/file-manager?origin_id=${sb.collection.id}&origin_path=${encodeURIComponent('/shub/ci/alpine/')}`,
    );
    // The first tag goes up over HTTPS; the core may copy the bytes to more tags with a Transfer task.
    const tasks = json(run, 'task-ids');
    expect(tasks).toHaveLength(4);
    expect(tasks[0]).toBe('');
    expect(tasks.every((t) => t === '' || /^[0-9a-f-]{36}$/.test(t))).toBe(true);

    expect(await remoteShape('ci', 'alpine')).toEqual([
      `latest@${va}.<stamp>.json`,
      `sha256.${va}.sif`,
      `v1@${va}.<stamp>.json`,
    ]);
    expect(await remoteFiles('ci', 'tools')).toHaveLength(3);
    expect(await remoteFiles('ci', 'skip-me')).toEqual([]);
    const v1Manifest = (await remoteFiles('ci', 'alpine')).find((f) => f.startsWith('v1@'))!;
    const manifest = JSON.parse(await readFile(join(sb.collection.root!, 'shub', 'ci', 'alpine', v1Manifest), 'utf8'));
    expect(manifest.source).toEqual({
      git_sha: '0123456789abcdef0123456789abcdef01234567',
      run_url: 'https://github.com/lab/images/actions/runs/4242',
      repository: 'lab/images',
      ref: 'refs/heads/main',
      workflow: 'build images',
    });

    // The summary: one row per image and tag.
    const rows = run.summary.split('<tr>').slice(2);
    expect(rows).toHaveLength(4);
    expect(rows[0]).toContain('ci/alpine:v1');
    expect(rows[0]).toContain(`<code>${va.slice(0, 12)}</code>`);
    expect(rows[0]).toMatch(/<td>pushed<\/td>/);
    expect(run.summary).toContain('<th>Status</th>');

    // Grouped per image, debug lines from the core's events, no secret anywhere.
    expect(run.stdout).toContain('::group::push build/alpine.sif as ci/alpine (v1, latest)');
    expect(run.stdout.split('\n').filter((l) => l === '::endgroup::')).toHaveLength(2);
    expect(run.stdout).toMatch(/::debug::(GET|POST|PUT) http:\/\/127\.0\.0\.1:\d+\/\S* -> 2\d\d/);
    expect(run.stdout.split('\n')[0]).toBe(`::add-mask::${sb.client.secret}`);
    // Every token this run was issued was masked with setSecret before any use.
    const issued = sb.context.tokens.all().filter((t) => !tokensBefore.has(t));
    expect(issued.length).toBeGreaterThan(0);
    const masked = new Set(
      run.stdout
        .split('\n')
        .filter((l) => l.startsWith('::add-mask::'))
        .map((l) => l.slice('::add-mask::'.length)),
    );
    for (const t of issued) expect(masked).toContain(t);
    expectClean(run, sb.client.secret);
  });

  it('reports a version that is already there as exists and uploads nothing again, also for a second file with the same bytes', async () => {
    const job = await newJob();
    const first = await sif(job, 'one/same.sif', 'same-bytes');
    await mkdir(join(job.workspace, 'two'), { recursive: true });
    await copyFile(first, join(job.workspace, 'two', 'same.sif'));
    const version = await sha256(first);

    const once = await runAction({ job, inputs: baseInputs({ images: 'one/same.sif' }) });
    expect(once.code).toBe(0);
    const since = sb.context.faults.log.length;
    const again = await runAction({ job, inputs: baseInputs({ images: 'one/same.sif\ntwo/same.sif' }) });
    expect(again.errors).toEqual([]);
    expect(again.code).toBe(0);
    const puts = sb.context.faults.log.slice(since).filter((r) => r.method === 'PUT');
    expect(puts).toEqual([]);
    expect(
      again.summary
        .split('<tr>')
        .slice(2)
        .map((r) => /<td>(pushed|exists)<\/td>/.exec(r)?.[1]),
    ).toEqual(['exists', 'exists']);
    expect(JSON.parse(again.outputs.versions!)).toEqual([version, version]);
    expect((JSON.parse(again.outputs.results!) as Array<{ status: string }>).map((r) => r.status)).toEqual([
      'exists',
      'exists',
    ]);
    expect(await remoteShape('library', 'same')).toEqual([`latest@${version}.<stamp>.json`, `sha256.${version}.sif`]);
  });

  it('with keep and replicate-to, prunes the pushed name and copies it to the other registry', async () => {
    const job = await newJob();
    await sif(job, 'old/life.sif', 'first');
    await sif(job, 'new/life.sif', 'second');
    const first = await runAction({ job, inputs: baseInputs({ images: 'old/life.sif', name: 'ci/life' }) });
    expect(first.code).toBe(0);
    const run = await runAction({
      job,
      inputs: baseInputs({
        images: 'new/life.sif',
        name: 'ci/life',
        tags: 'v2\nlatest',
        keep: '0',
        'replicate-to': `globus://${site.id}`,
      }),
    });
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    const version = json(run, 'versions')[0]!;
    // Only the version the tags name now is left here; the first one's file and manifest went in one delete task.
    expect(await remoteShape('ci', 'life')).toEqual([
      `latest@${version}.<stamp>.json`,
      `sha256.${version}.sif`,
      `v2@${version}.<stamp>.json`,
    ]);
    expect(json(run, 'pruned')).toHaveLength(2);
    expect(json(run, 'replicas').sort()).toEqual([
      `globus://${site.id}/ci/life:latest@${version}`,
      `globus://${site.id}/ci/life:v2@${version}`,
    ]);
    const replica = (await readdir(join(site.root!, 'shub', 'ci', 'life'))).sort();
    expect(replica).toEqual(await remoteFiles('ci', 'life'));
    expect(await sha256(join(site.root!, 'shub', 'ci', 'life', `sha256.${version}.sif`))).toBe(version);
  });

  it('with if-no-files-found warn or ignore, succeeds with empty outputs; with error, fails once', async () => {
    const job = await newJob();
    const warn = await runAction({ job, inputs: baseInputs({ images: 'nothing/*.sif', 'if-no-files-found': 'warn' }) });
    expect(warn.code).toBe(0);
    expect(warn.warnings.some((w) => w.includes('No file matched images (nothing/*.sif)'))).toBe(true);
    expect(warn.outputs.uris).toBe('[]');
    expect(warn.errors).toEqual([]);

    const ignore = await runAction({
      job,
      inputs: baseInputs({ images: 'nothing/*.sif', 'if-no-files-found': 'ignore' }),
    });
    expect(ignore.code).toBe(0);
    expect(ignore.warnings).toEqual([]);
    expect(ignore.stdout).toContain('No file matched images (nothing/*.sif); nothing was pushed');

    const error = await runAction({ job, inputs: baseInputs({ images: 'nothing/*.sif' }) });
    expect(error.code).toBe(1);
    expect(error.errors).toHaveLength(1);
    expect(error.errors[0]).toMatch(
      /^::error::No file matched images \(nothing\/\*\.sif\).*if-no-files-found.*\(code NOT_FOUND\)$/,
    );
  });
});

describe('action push over a Transfer task', () => {
  it('moves the bytes from the source endpoint and reports the task id', async () => {
    // The personal endpoint may reach only the sandbox's temp folder, so the job lives there.
    const job = await newJob(sb.tmp);
    const file = await sif(job, 'via-transfer.sif', 'transfer');
    const run = await runAction({
      job,
      inputs: baseInputs({
        images: 'via-transfer.sif',
        transport: 'transfer',
        'source-endpoint': sb.personal.id,
        name: 'tx/app',
      }),
    });
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    const [task] = json(run, 'task-ids');
    expect(task).toMatch(/^[0-9a-f-]{36}$/);
    const version = await sha256(file);
    expect(await remoteShape('tx', 'app')).toEqual([`latest@${version}.<stamp>.json`, `sha256.${version}.sif`]);
    expect(sb.context.faults.log.some((r) => r.method === 'POST' && r.path.endsWith('/transfer'))).toBe(true);
  });
});

describe('action push failures', () => {
  const fails = async (inputs: Record<string, string>, job?: RunnerFolders): Promise<ActionRun> => {
    const run = await runAction({ job: job ?? (await newJob()), inputs });
    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(1);
    return run;
  };

  it('says which input is missing (client-id) before anything else', async () => {
    const inputs = baseInputs({ images: '*.sif' });
    delete inputs['client-id'];
    const run = await fails(inputs);
    expect(run.errors[0]).toMatch(/^::error::Input client-id is required: .*\(code INVALID_INPUT\)$/);
    // The job summary says so too, for whoever reads the run's page rather than its log.
    expect(run.summary).toContain('<h3>sregistry-globus push</h3>');
    expect(run.summary).toMatch(/<strong>Failed:<\/strong> Input client-id is required: .*\(code INVALID_INPUT\)/);
  });

  it('refuses a bad name with the accepted form', async () => {
    const job = await newJob();
    await sif(job, 'x.sif', 'x');
    const run = await fails(baseInputs({ images: 'x.sif', name: 'Bad Name!/x' }), job);
    expect(run.errors[0]).toMatch(/Input name is not collection\/name: .*\(code INVALID_REFERENCE\)$/);
    const tagged = await fails(baseInputs({ images: 'x.sif', name: 'lab/x:v1' }), job);
    expect(tagged.errors[0]).toContain('put tags in the tags input');
  });

  it('says AUTH_FAILED for a wrong secret and never prints it', async () => {
    const job = await newJob();
    await sif(job, 'x.sif', 'x');
    const wrong = `wrong-${randomUUID()}`;
    const run = await fails(baseInputs({ images: 'x.sif', 'client-secret': wrong }), job);
    expect(run.errors[0]).toMatch(/\(code AUTH_FAILED/);
    // The advice names the Action's inputs, not the CLI's environment variables.
    expect(run.errors[0]).toMatch(/the client-id input .*the client-secret input/);
    expect(run.errors[0]).not.toMatch(/GLOBUS_CLIENT_(ID|SECRET)\b/);
    expectClean(run, wrong, sb.client.secret);
  });

  it('says PERMISSION_DENIED on a read-only collection and publishes nothing', async () => {
    const job = await newJob();
    await sif(job, 'readonly.sif', 'readonly');
    const run = await fails(
      baseInputs({
        images: 'readonly.sif',
        name: 'ro/readonly',
        'client-id': reader.id,
        'client-secret': reader.secret,
      }),
      job,
    );
    expect(run.errors[0]).toMatch(/\(code PERMISSION_DENIED/);
    expect(await remoteFiles('ro', 'readonly')).toEqual([]);
    expectClean(run, reader.secret);
    await rm(job.root, { recursive: true, force: true });
  });
});
