/**
 * Signed images through the Action, run as the runner runs it (node dist/index.js with
 * INPUT_* variables and file commands): a push signs with the signing-key input and
 * writes the digest outputs an attestation step takes; a pull verifies against keyring.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as openpgp from 'openpgp';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { fileSha256 as sha256 } from '../support/files.js';
import { reference } from '../reference/sif-sign.js';
import { newJob, runAction, sandboxInputs, visibleText, type ActionRun } from './runner.js';

const FIXTURES = resolve('test/fixtures/sif');
let sb: TestSandbox;
const passphrase = 'ci signing passphrase 51b0e';
let key: { privateKey: string; publicKey: string; fingerprint: string };
let stranger: string;

beforeAll(async () => {
  sb = await startTestSandbox();
  const made = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name: 'Images CI', email: 'ci@images.test' }],
    passphrase,
    format: 'armored',
  });
  key = {
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
}, 60_000);
afterAll(() => sb.stop());

const keyLines = (): string[] => key.privateKey.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'));

function expectNoSecrets(run: ActionRun): void {
  const text = visibleText(run);
  for (const s of [passphrase, ...keyLines(), sb.client.secret]) expect(text).not.toContain(s);
}

describe('action signing and verifying', () => {
  let digest: string;

  it('push with signing-key uploads a signed copy and writes digest and digests (sha256 of the signed bytes); the workspace file is unchanged', async () => {
    const job = await newJob();
    const file = join(job.workspace, 'app.sif');
    await copyFile(join(FIXTURES, 'one-group.sif'), file);
    const before = await sha256(file);
    const run = await runAction({
      job,
      inputs: sandboxInputs(sb, {
        images: 'app.sif',
        name: 'lab/app',
        tags: 'v1, stable',
        'signing-key': key.privateKey,
        'signing-key-passphrase': passphrase,
      }),
    });
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(await sha256(file)).toBe(before);
    digest = run.outputs.digest!;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(digest).not.toBe(`sha256:${before}`);
    expect(digest).toBe(`sha256:${run.outputs.version}`);
    // Two tags of one image: one digest.
    expect(JSON.parse(run.outputs.digests!)).toEqual([digest]);
    const published = (await readdir(join(sb.collection.root!, 'shub', 'lab', 'app'))).find((f) =>
      f.startsWith('sha256.'),
    )!;
    expect(`sha256:${await sha256(join(sb.collection.root!, 'shub', 'lab', 'app', published))}`).toBe(digest);
    const publicFile = join(job.root, 'public.asc');
    await writeFile(publicFile, key.publicKey);
    expect(reference(['verify', join(sb.collection.root!, 'shub', 'lab', 'app', published), publicFile])).toMatchObject(
      { status: 0, stdout: `ok ${key.fingerprint}\n` },
    );
    // The passphrase and every line of the key are masked for the runner, and never shown.
    const masks = new Set(
      run.stdout
        .split('\n')
        .filter((l) => l.startsWith('::add-mask::'))
        .map((l) => l.slice('::add-mask::'.length)),
    );
    for (const s of [passphrase, ...keyLines()]) expect(masks.has(s)).toBe(true);
    expectNoSecrets(run);
  });

  it('pull with verify required and the public key in keyring stores the image and reports its digest', async () => {
    const job = await newJob();
    const run = await runAction({
      job,
      inputs: sandboxInputs(sb, {
        command: 'pull',
        name: 'lab/app',
        tags: 'v1',
        verify: 'required',
        keyring: key.publicKey,
      }),
    });
    expect(run.errors).toEqual([]);
    expect(run.outputs.digest).toBe(digest);
    expect(run.stdout).toContain(`signatures: verified, ${key.fingerprint} (Images CI <ci@images.test>) verified`);
    const pulled = JSON.parse(run.outputs.files!) as string[];
    expect(`sha256:${await sha256(pulled[0]!)}`).toBe(digest);
  });

  it('pull with verify required and another key (a key file in the workspace) fails UNTRUSTED_SIGNER and leaves pull-to empty', async () => {
    const job = await newJob();
    await writeFile(join(job.workspace, 'lab-keys.asc'), stranger);
    const run = await runAction({
      job,
      inputs: sandboxInputs(sb, {
        command: 'pull',
        name: 'lab/app',
        tags: 'v1',
        verify: 'required',
        keyring: 'lab-keys.asc',
      }),
    });
    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/UNTRUSTED_SIGNER|not in the keyring/);
    expect(await readdir(join(job.workspace, 'images')).catch(() => [])).toEqual([]);
  });

  it('a signing-key that is not a private key is refused before anything moves, naming the input and not the value', async () => {
    const job = await newJob();
    const run = await runAction({
      job,
      inputs: sandboxInputs(sb, { images: 'x.sif', 'signing-key': 'not-a-key-value-1234567890' }),
    });
    expect(run.code).toBe(1);
    expect(run.errors[0]).toMatch(/Input signing-key is not an armored OpenPGP private key/);
    expect(visibleText(run)).not.toContain('not-a-key-value-1234567890');
    const bad = await runAction({
      job,
      inputs: sandboxInputs(sb, { command: 'pull', name: 'lab/app', verify: 'always' }),
    });
    expect(bad.errors[0]).toMatch(/Input verify is "always"; use one of off, if-signed, required/);
  });

  it('action.yml documents the new inputs and outputs', async () => {
    const yml = await readFile('action.yml', 'utf8');
    for (const name of ['verify:', 'keyring:', 'signing-key:', 'signing-key-passphrase:', 'digest:', 'digests:'])
      expect(yml).toContain(`  ${name}`);
  });
});
