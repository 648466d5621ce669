/**
 * Images restored from the Actions cache are held to the run's signature policy, as a
 * download is: the Action run as the runner runs it, the cache served by the cache-service
 * stand-in. The cached copy passed (or skipped) the policy of the run that saved it; the
 * run that restores it checks it again, and a refused one leaves nothing in pull-to and
 * sets no output.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, open, readFile, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import * as openpgp from 'openpgp';
import { parseLayout, tableEnd } from '../../src/core/signing/sif-objects.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { fileSha256 as sha256 } from '../support/files.js';
import { startCacheServer, type CacheServer } from './cache-server.js';
import { newJob, runAction, sandboxInputs, type ActionRun, type RunnerFolders } from './runner.js';

const FIXTURES = resolve('test/fixtures/sif');
const run = promisify(execFile);
const CACHE_LIB = pathToFileURL(join(process.cwd(), 'node_modules/@actions/cache/lib/cache.js')).href;
// A job step of someone else's that writes a cache entry with @actions/cache: argv = path, key.
const SAVE_STEP = `
const [lib, path, key] = process.argv.slice(1);
const cache = await import(lib);
console.log('RESULT ' + JSON.stringify(await cache.saveCache([path], key)));
`;

let sb: TestSandbox;
let cache: CacheServer;
let trusted: { privateKey: string; publicKey: string; fingerprint: string };
let stranger: string;
let fixtureKey: string;
const versions: Record<string, string> = {};

const pullInputs = (name: string, extra: Record<string, string> = {}): Record<string, string> =>
  sandboxInputs(sb, { command: 'pull', name, tags: 'v1', cache: 'true', ...extra });

/** Requests to the collection's HTTPS origin that fetched image bytes. */
const imageDownloads = (since: number) =>
  sb.context.faults.log
    .slice(since)
    .filter((r) => r.origin === sb.collection.id && r.method === 'GET' && r.path.endsWith('.sif'));

async function push(name: string, file: string): Promise<void> {
  const job = await newJob();
  await copyFile(file, join(job.workspace, 'image.sif'));
  const pushed = await runAction({ job, inputs: sandboxInputs(sb, { images: 'image.sif', name, tags: 'v1' }) });
  expect(pushed.errors).toEqual([]);
  versions[name] = pushed.outputs.version!;
}

/** A run that pulls `name` (under `extra`) and saves it in the cache: each test that restores an image saves it first. */
async function saveInCache(name: string, extra: Record<string, string>): Promise<void> {
  const saved = await runAction({ job: await newJob(), inputs: pullInputs(name, extra), env: cache.env() });
  expect(saved.errors).toEqual([]);
  expect(saved.outputs['cache-hit']).toBe('false');
  expect(cache.entries().some((e) => e.finalized && e.key.endsWith(versions[name]!))).toBe(true);
}

/** The run failed with `code`, after restoring the image from the cache and downloading none of it; pull-to is empty and no output is set. */
async function expectRefusedFromCache(
  job: RunnerFolders,
  result: ActionRun,
  since: number,
  code: string,
  text: RegExp,
): Promise<void> {
  expect(result.code).toBe(1);
  expect(result.stdout).toContain('restored from the Actions cache');
  expect(result.errors).toHaveLength(1);
  expect(result.errors[0]).toMatch(text);
  expect(result.errors[0]).toContain(code);
  expect(imageDownloads(since)).toEqual([]);
  expect(await readdir(join(job.workspace, 'images')).catch(() => [])).toEqual([]);
  expect(result.outputs.digest).toBeUndefined();
  expect(result.outputs.files).toBeUndefined();
  expect(result.outputs.version).toBeUndefined();
}

beforeAll(async () => {
  sb = await startTestSandbox();
  cache = await startCacheServer();
  const made = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name: 'Images CI', email: 'ci@images.test' }],
    format: 'armored',
  });
  trusted = {
    privateKey: made.privateKey,
    publicKey: made.publicKey,
    fingerprint: (await openpgp.readKey({ armoredKey: made.publicKey })).getFingerprint().toUpperCase(),
  };
  stranger = (
    await openpgp.generateKey({
      type: 'ecc',
      curve: 'curve25519Legacy',
      userIDs: [{ name: 'Someone Else' }],
      format: 'armored',
    })
  ).publicKey;
  fixtureKey = (await openpgp.readPrivateKey({ armoredKey: await readFile(join(FIXTURES, 'private.asc'), 'utf8') }))
    .toPublic()
    .armor();

  // lab/app, lab/other and lab/forged: the unsigned fixture, signed by the trusted key on push.
  for (const name of ['lab/app', 'lab/other', 'lab/forged']) {
    const job = await newJob();
    await copyFile(join(FIXTURES, 'one-group.sif'), join(job.workspace, 'app.sif'));
    const pushed = await runAction({
      job,
      inputs: sandboxInputs(sb, { images: 'app.sif', name, tags: 'v1', 'signing-key': trusted.privateKey }),
    });
    expect(pushed.errors).toEqual([]);
    versions[name] = pushed.outputs.version!;
  }
  // lab/tampered: an image the reference signed, a byte inside a signed object flipped afterwards.
  const job = await newJob();
  const tampered = join(job.root, 'tampered.sif');
  await copyFile(join(FIXTURES, 'one-group-signed.sif'), tampered);
  const bytes = await readFile(tampered);
  const biggest = parseLayout(bytes.subarray(0, tableEnd(bytes.subarray(0, 128))!))!
    .objects.filter((o) => o.groupId === 1)
    .sort((a, b) => b.size - a.size)[0]!;
  const fh = await open(tampered, 'r+');
  await fh.write(Buffer.from([bytes[biggest.offset + 1]! ^ 0x55]), 0, 1, biggest.offset + 1);
  await fh.close();
  await push('lab/tampered', tampered);
}, 120_000);
afterAll(async () => {
  await cache.close();
  await sb.stop();
});

describe('action pull: images from the Actions cache are verified too', () => {
  it('with verify required and the signer in keyring, a restored image is verified and nothing is downloaded', async () => {
    await saveInCache('lab/app', { verify: 'required', keyring: trusted.publicKey });

    const second = await newJob();
    const since = sb.context.faults.log.length;
    const restored = await runAction({
      job: second,
      inputs: pullInputs('lab/app', { verify: 'required', keyring: trusted.publicKey }),
      env: cache.env(),
    });
    expect(restored.errors).toEqual([]);
    expect(restored.outputs['cache-hit']).toBe('true');
    expect(restored.stdout).toContain('restored from the Actions cache');
    expect(restored.stdout).toContain(
      `signatures: verified, ${trusted.fingerprint} (Images CI <ci@images.test>) verified`,
    );
    expect(imageDownloads(since)).toEqual([]);
    expect(restored.outputs.digest).toBe(`sha256:${versions['lab/app']}`);
    expect(await sha256(join(second.workspace, 'images', 'app_v1.sif'))).toBe(versions['lab/app']);
  });

  it('a restored image whose signer is not in keyring fails UNTRUSTED_SIGNER: no file in pull-to, no output', async () => {
    await saveInCache('lab/other', { verify: 'required', keyring: trusted.publicKey });
    const job = await newJob();
    const since = sb.context.faults.log.length;
    const result = await runAction({
      job,
      inputs: pullInputs('lab/other', { verify: 'required', keyring: stranger }),
      env: cache.env(),
    });
    await expectRefusedFromCache(job, result, since, 'UNTRUSTED_SIGNER', /not in the keyring/);
  });

  it('a cached copy of an image whose signature does not hold (saved by a run with verify off) fails SIGNATURE_INVALID when restored, by default and under required', async () => {
    await saveInCache('lab/tampered', { verify: 'off' });

    for (const extra of [{ verify: 'required', keyring: fixtureKey }, {}] as Array<Record<string, string>>) {
      const job = await newJob();
      const since = sb.context.faults.log.length;
      const result = await runAction({ job, inputs: pullInputs('lab/tampered', extra), env: cache.env() });
      await expectRefusedFromCache(job, result, since, 'SIGNATURE_INVALID', /was changed after signing/);
    }
  });

  it('a forged cache entry (bytes that are not the version) is not used: the image is downloaded and verified instead', async () => {
    // Someone else's job saved other bytes under the key this image's version would have.
    const forger = await newJob();
    const stage = join('images', '.sregistry-globus-staging', 'forged_v1.sif');
    await mkdir(join(forger.workspace, 'images', '.sregistry-globus-staging'), { recursive: true });
    await writeFile(join(forger.workspace, stage), randomBytes(40_000));
    const key = `sregistry-globus-lab-forged-${versions['lab/forged']}`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', SAVE_STEP, CACHE_LIB, stage, key], {
      cwd: forger.workspace,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        GITHUB_WORKSPACE: forger.workspace,
        RUNNER_TEMP: forger.runnerTemp,
        GITHUB_SERVER_URL: 'https://github.com',
        ...cache.env(),
      },
    });
    expect(stdout).toMatch(/RESULT \d+/);

    const job = await newJob();
    const since = sb.context.faults.log.length;
    const result = await runAction({
      job,
      inputs: pullInputs('lab/forged', { verify: 'required', keyring: trusted.publicKey }),
      env: cache.env(),
    });
    expect(result.errors).toEqual([]);
    expect(result.warnings.some((w) => w.includes(`did not hold version ${versions['lab/forged']}`))).toBe(true);
    expect(imageDownloads(since)).toHaveLength(1);
    expect(result.stdout).toContain(`signatures: verified, ${trusted.fingerprint}`);
    expect(await sha256(join(job.workspace, 'images', 'forged_v1.sif'))).toBe(versions['lab/forged']);
    expect(result.outputs['cache-hit']).toBe('false');
  });
});
