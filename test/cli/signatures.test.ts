/**
 * Signed images through the CLI as a real process against the sandbox: sign on push
 * (checked by the reference library), verify on pull and inspect under each policy, and
 * a failed check leaves no file in storage and no record.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync } from 'node:fs';
import { copyFile, open, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as openpgp from 'openpgp';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { fileSha256 } from '../support/files.js';
import { reference } from '../reference/sif-sign.js';
import { parseLayout, tableEnd } from '../../src/core/signing/sif-objects.js';
import { assertBuilt, Cli, json, leakedSecrets, sandboxEnv, type CliRun } from './support.js';

const FIXTURES = resolve('test/fixtures/sif');
const TEST_FP = '12045C8C0B1004D058DE4BEDA20C27EE7FF7BA84';

interface Signatures {
  status: string;
  signatures: Array<{
    fingerprint?: string;
    fingerprintProven?: boolean;
    userId?: string;
    status?: string;
    objects?: number[];
    kind?: string;
    reason?: string;
  }>;
  unsigned?: number[];
}
interface Image {
  status: string;
  version: string;
  image?: string;
  signatures?: Signatures;
}
type ErrorDoc = { error: { code: string; message: string } };

describe('signed images through the CLI (real process, sandbox)', () => {
  let sb: TestSandbox;
  let cli: Cli;
  let remote: string;
  let storage: string;
  const passphrase = 'lab signing passphrase 7d1c';
  let lab: { privateFile: string; publicFile: string; fingerprint: string; armoredPrivate: string };
  let testPublic: string;

  const storedFiles = (name: string): string[] => {
    const dir = join(storage, 'lab', name);
    return existsSync(dir) ? readdirSync(dir) : [];
  };
  const expectNothingKept = async (name: string, run: CliRun, code: string): Promise<void> => {
    expect(run.code).toBe(1);
    expect(json<ErrorDoc>(run).error.code).toBe(code);
    expect(storedFiles(name)).toEqual([]);
    const inspected = await cli.run(['inspect', `lab/${name}`, '--json']);
    expect(json<ErrorDoc>(inspected).error.code).toBe('NOT_FOUND');
  };

  beforeAll(async () => {
    assertBuilt();
    sb = await startTestSandbox();
    const env = await sandboxEnv(sb);
    storage = env.SREGISTRY_STORAGE!;
    cli = new Cli({ ...env, SREGISTRY_GLOBUS_SIGNING_PASSPHRASE: passphrase });
    remote = `globus://${sb.collection.id}/lab`;
    const key = await openpgp.generateKey({
      type: 'ecc',
      curve: 'curve25519Legacy',
      userIDs: [{ name: 'Lab CI', email: 'ci@lab.test' }],
      passphrase,
      format: 'armored',
    });
    lab = {
      privateFile: join(sb.tmp, 'lab-signing.asc'),
      publicFile: join(sb.tmp, 'lab-public.asc'),
      fingerprint: (await openpgp.readKey({ armoredKey: key.publicKey })).getFingerprint().toUpperCase(),
      armoredPrivate: key.privateKey,
    };
    await writeFile(lab.privateFile, key.privateKey);
    await writeFile(lab.publicFile, key.publicKey);
    const testKey = await openpgp.readPrivateKey({ armoredKey: await readFile(join(FIXTURES, 'private.asc'), 'utf8') });
    testPublic = join(sb.tmp, 'test-public.asc');
    await writeFile(testPublic, testKey.toPublic().armor());
    // The reference program, built once for the file checks below.
    reference(['verify', join(FIXTURES, 'one-group-signed.sif'), testPublic]);

    for (const [fixture, tag] of [
      ['one-group-signed', 'signed'],
      ['one-group', 'unsigned'],
      ['one-group-signed-legacy-group', 'legacy'],
    ] as const) {
      const run = await cli.run(['push', join(FIXTURES, `${fixture}.sif`), `${remote}/${tag}:v1`, '--json']);
      expect(run.code).toBe(0);
    }
    // Signed, then an overlay partition added in a new object group: signed in part.
    const overlay = join(sb.tmp, 'overlay.sif');
    await copyFile(join(FIXTURES, 'one-group-signed.sif'), overlay);
    expect(reference(['add', overlay, '2', '4096']).status).toBe(0);
    expect((await cli.run(['push', overlay, `${remote}/overlay:v1`, '--json'])).code).toBe(0);
    const tampered = join(sb.tmp, 'tampered.sif');
    await copyFile(join(FIXTURES, 'one-group-signed.sif'), tampered);
    const bytes = await readFile(tampered);
    const biggest = parseLayout(bytes.subarray(0, tableEnd(bytes.subarray(0, 128))!))!
      .objects.filter((o) => o.groupId === 1)
      .sort((a, b) => b.size - a.size)[0]!;
    const fh = await open(tampered, 'r+');
    await fh.write(Buffer.from([bytes[biggest.offset + 1]! ^ 0x55]), 0, 1, biggest.offset + 1);
    await fh.close();
    expect((await cli.run(['push', tampered, `${remote}/tampered:v1`, '--json'])).code).toBe(0);
  }, 180_000);
  afterAll(() => sb.stop());

  it('push --sign-key uploads a signed copy: the version is its SHA-256, the file is unchanged, the manifest lists the signer, the reference verifies it', async () => {
    const input = join(FIXTURES, 'one-group.sif');
    const before = await fileSha256(input);
    const run = await cli.run([
      'push',
      input,
      `${remote}/built:v1`,
      '--sign-key',
      lab.privateFile,
      '--require-signed',
      '--keyring',
      lab.publicFile,
      '--json',
    ]);
    expect(run.code).toBe(0);
    const image = json<{ images: Image[] }>(run).images[0]!;
    expect(await fileSha256(input)).toBe(before);
    expect(image.version).not.toBe(before);
    expect(image.signatures).toEqual({ status: 'not-checked', signatures: [{ fingerprint: lab.fingerprint }] });

    const recorded = json<Image>(await cli.run(['record', `${remote}/built:v1`, '--json']));
    expect(recorded.signatures).toEqual({ status: 'not-checked', signatures: [{ fingerprint: lab.fingerprint }] });

    const pulled = await cli.run([
      'pull',
      `${remote}/built:v1`,
      '--verify',
      'required',
      '--keyring',
      lab.publicFile,
      '--transport',
      'https',
      '--json',
    ]);
    expect(pulled.code).toBe(0);
    const got = json<Image>(pulled);
    expect(await fileSha256(got.image!)).toBe(image.version);
    expect(got.signatures).toMatchObject({
      status: 'verified',
      unsigned: [],
      signatures: [
        {
          fingerprint: lab.fingerprint,
          userId: 'Lab CI <ci@lab.test>',
          status: 'verified',
          kind: 'group',
          objects: [1, 2],
        },
      ],
    });
    expect(reference(['verify', got.image!, lab.publicFile])).toMatchObject({
      status: 0,
      stdout: `ok ${lab.fingerprint}\n`,
    });

    const inspected = await cli.run(['inspect', 'lab/built:v1', '--keyring', lab.publicFile]);
    expect(inspected.code).toBe(0);
    expect(inspected.stdout).toContain(`signed:   verified`);
    expect(inspected.stdout).toContain(`signer:   ${lab.fingerprint} Lab CI <ci@lab.test> verified`);
  });

  it('search --signers --json shows the signers each manifest lists; without --signers nothing is read for them', async () => {
    const run = await cli.run(['search', 'lab/', '--endpoint', sb.collection.id, '--signers', '--json']);
    expect(run.code).toBe(0);
    const hits = json<{ hits: Array<{ image: { name: string; signatures?: string[] } }> }>(run).hits;
    const byName = Object.fromEntries(hits.map((h) => [h.image.name, h.image.signatures]));
    expect(byName.signed).toEqual([TEST_FP]);
    expect(byName.unsigned).toEqual([]);
    expect(byName.legacy).toEqual([TEST_FP]);
    const plain = json<{ hits: Array<{ image: { signatures?: string[] } }> }>(
      await cli.run(['search', 'lab/', '--endpoint', sb.collection.id, '--json']),
    );
    expect(plain.hits.every((h) => h.image.signatures === undefined)).toBe(true);
  });

  it('push --require-signed refuses an unsigned image (UNSIGNED), and a wrong passphrase is refused without showing it', async () => {
    const unsigned = await cli.run([
      'push',
      join(FIXTURES, 'one-group.sif'),
      `${remote}/refused:v1`,
      '--require-signed',
      '--keyring',
      testPublic,
      '--json',
    ]);
    expect(unsigned.code).toBe(1);
    expect(json<ErrorDoc>(unsigned).error.code).toBe('UNSIGNED');
    const wrong = await cli.run(
      ['push', join(FIXTURES, 'one-group.sif'), `${remote}/refused:v1`, '--sign-key', lab.privateFile],
      { ...(await sandboxEnv(sb)), SREGISTRY_GLOBUS_SIGNING_PASSPHRASE: 'not it at all' },
    );
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/passphrase does not unlock the signing key .*lab-signing\.asc.*\[INVALID_INPUT\]/);
    expect(wrong.stderr).not.toContain('not it at all');
    const search = json<{ hits: unknown[] }>(
      await cli.run(['search', 'refused', '--endpoint', sb.collection.id, '--json']),
    );
    expect(search.hits).toEqual([]);
  });

  it('images the reference signed pull and verify (current and legacy), over HTTPS and Transfer', async () => {
    const https = json<Image>(
      await cli.run([
        'pull',
        `${remote}/signed:v1`,
        '--keyring',
        testPublic,
        '--verify',
        'required',
        '--transport',
        'https',
        '--json',
      ]),
    );
    expect(https.signatures?.status).toBe('verified');
    expect(https.signatures?.signatures[0]).toMatchObject({ fingerprint: TEST_FP, status: 'verified' });
    // The stored copy is checked again under the next pull's policy.
    const again = json<Image>(
      await cli.run([
        'pull',
        `${remote}/signed:v1`,
        '--keyring',
        testPublic,
        '--verify',
        'required',
        '--transport',
        'https',
        '--json',
      ]),
    );
    expect(again).toMatchObject({ status: 'cached', signatures: { status: 'verified' } });
    const strangerKeyring = await cli.run([
      'pull',
      `${remote}/signed:v1`,
      '--keyring',
      lab.publicFile,
      '--verify',
      'required',
      '--json',
    ]);
    expect(json<ErrorDoc>(strangerKeyring).error.code).toBe('UNTRUSTED_SIGNER');
    expect(json<ErrorDoc>(strangerKeyring).error.message).toMatch(/stored copy .* was left as it is/);
    const legacy = await cli.run([
      'pull',
      `${remote}/legacy:v1`,
      '--keyring',
      testPublic,
      '--verify',
      'required',
      '--transport',
      'transfer',
      '--local-endpoint',
      sb.personal.id,
      '--storage',
      join(sb.tmp, 'storage-transfer'),
      '--json',
    ]);
    expect(legacy.code).toBe(0);
    expect(json<Image>(legacy).signatures?.signatures[0]).toMatchObject({ kind: 'legacy-group', status: 'verified' });
  });

  it('unsigned passes by default and fails --verify required with UNSIGNED, nothing stored', async () => {
    const strict = await cli.run([
      'pull',
      `${remote}/unsigned:v1`,
      '--verify',
      'required',
      '--keyring',
      testPublic,
      '--json',
    ]);
    await expectNothingKept('unsigned', strict, 'UNSIGNED');
    expect(json<ErrorDoc>(strict).error.message).toMatch(/carries no signature.*nothing was stored/);
    const relaxed = json<Image>(await cli.run(['pull', `${remote}/unsigned:v1`, '--json']));
    expect(relaxed).toMatchObject({ status: 'pulled', signatures: { status: 'unsigned', signatures: [] } });
  });

  it('a signer outside the keyring fails UNTRUSTED_SIGNER, nothing stored; SREGISTRY_GLOBUS_VERIFY and _KEYRING set the same', async () => {
    const run = await cli.run(['pull', `${remote}/signed:v1`, '--json'], {
      ...(await sandboxEnv(sb)),
      SREGISTRY_GLOBUS_VERIFY: 'required',
      SREGISTRY_GLOBUS_KEYRING: lab.publicFile,
      SREGISTRY_STORAGE: join(sb.tmp, 'storage-env'),
    });
    expect(run.code).toBe(1);
    expect(json<ErrorDoc>(run).error).toMatchObject({ code: 'UNTRUSTED_SIGNER' });
    expect(json<ErrorDoc>(run).error.message).toContain(TEST_FP);
    expect(
      existsSync(join(sb.tmp, 'storage-env', 'lab', 'signed'))
        ? readdirSync(join(sb.tmp, 'storage-env', 'lab', 'signed'))
        : [],
    ).toEqual([]);
  });

  it.each(['https', 'transfer'])(
    'a byte flipped inside a signed object fails SIGNATURE_INVALID by default over %s: no file in storage, no record',
    async (transport) => {
      const extra = transport === 'transfer' ? ['--local-endpoint', sb.personal.id] : [];
      const run = await cli.run(['pull', `${remote}/tampered:v1`, '--transport', transport, ...extra, '--json']);
      await expectNothingKept('tampered', run, 'SIGNATURE_INVALID');
      expect(json<ErrorDoc>(run).error.message).toMatch(/object 2 was changed after signing.*nothing was stored/);
      const human = await cli.run(['pull', `${remote}/tampered:v1`, '--transport', transport, ...extra]);
      expect(human.stderr.trim().split('\n').at(-1)).toMatch(/^error: .*\[SIGNATURE_INVALID\]$/);
    },
  );

  it('--verify required without a keyring, or a bad --verify, is refused before anything moves', async () => {
    const noKeys = await cli.run(['pull', `${remote}/signed:v1`, '--verify', 'required', '--json']);
    expect(noKeys.code).toBe(1);
    expect(json<ErrorDoc>(noKeys).error.message).toMatch(/needs a keyring/);
    const bad = await cli.run(['pull', `${remote}/signed:v1`, '--verify', 'sometimes', '--json']);
    expect(bad.code).toBe(2);
    expect(json<ErrorDoc>(bad).error.message).toMatch(/--verify "sometimes" is not one of off, if-signed, required/);
    const privateKeyring = await cli.run(['pull', `${remote}/signed:v1`, '--keyring', lab.privateFile, '--json']);
    expect(privateKeyring.code).toBe(2);
    expect(json<ErrorDoc>(privateKeyring).error.message).toMatch(/holds a private key/);
    expect(storedFiles('signed').filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('a keyring whose key block does not parse fails INVALID_INPUT, over either transport: nothing stored, no record', async () => {
    const corrupt = join(sb.tmp, 'corrupt-public.asc');
    const armored = await readFile(lab.publicFile, 'utf8');
    const lines = armored.split('\n');
    // The armor stays; the key inside it is cut short.
    await writeFile(corrupt, [...lines.slice(0, 4), ...lines.slice(-3)].join('\n'));
    expect(
      (await cli.run(['push', join(FIXTURES, 'one-group-signed.sif'), `${remote}/keycheck:v1`, '--json'])).code,
    ).toBe(0);
    for (const transport of ['https', 'transfer']) {
      const run = await cli.run([
        'pull',
        `${remote}/keycheck:v1`,
        '--keyring',
        corrupt,
        '--transport',
        transport,
        ...(transport === 'transfer' ? ['--local-endpoint', sb.personal.id] : []),
        '--json',
      ]);
      await expectNothingKept('keycheck', run, 'INVALID_INPUT');
      expect(json<ErrorDoc>(run).error.message).toMatch(/^The keyring given has a key block that does not parse/);
    }
  });

  it('push --require-signed without a keyring is refused in one line before anything is sent: digests alone do not prove who signed', async () => {
    const image = join(FIXTURES, 'one-group-signed.sif');
    const noKeys = await cli.run(['push', image, `${remote}/forged:v1`, '--require-signed', '--json']);
    expect(noKeys.code).toBe(1);
    expect(json<ErrorDoc>(noKeys).error).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(
        /^--require-signed needs a keyring: give the signers' public keys with --keyring FILE/,
      ),
    });
    const human = await cli.run(['push', image, `${remote}/forged:v1`, '--require-signed']);
    expect(human.code).toBe(1);
    expect(human.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^error: .*: --require-signed needs a keyring.*\[INVALID_INPUT\]$/),
    ]);
    // With a keyring that does not hold the signer, the same image is refused by the pull policy's rule.
    const stranger = await cli.run([
      'push',
      image,
      `${remote}/forged:v1`,
      '--require-signed',
      '--keyring',
      lab.publicFile,
      '--json',
    ]);
    expect(json<ErrorDoc>(stranger).error).toMatchObject({
      code: 'UNTRUSTED_SIGNER',
      message: expect.stringMatching(/nothing was pushed/),
    });
    const search = json<{ hits: unknown[] }>(
      await cli.run(['search', 'forged', '--endpoint', sb.collection.id, '--json']),
    );
    expect(search.hits).toEqual([]);
    const trusted = await cli.run([
      'push',
      image,
      `${remote}/forged:v1`,
      '--require-signed',
      '--keyring',
      testPublic,
      '--json',
    ]);
    expect(trusted.code).toBe(0);
  });

  it("without a keyring a signer's fingerprint is shown as claimed by the image, unproven (JSON: fingerprintProven false)", async () => {
    const pulled = json<Image>(
      await cli.run(['pull', `${remote}/signed:v1`, '--json'], {
        ...(await sandboxEnv(sb)),
        SREGISTRY_STORAGE: join(sb.tmp, 'storage-unproven'),
      }),
    );
    expect(pulled.signatures).toMatchObject({
      status: 'unchecked',
      signatures: [{ fingerprint: TEST_FP, fingerprintProven: false, status: 'unchecked' }],
    });
    const proven = json<Image>(
      await cli.run(['pull', `${remote}/signed:v1`, '--keyring', testPublic, '--json'], {
        ...(await sandboxEnv(sb)),
        SREGISTRY_STORAGE: join(sb.tmp, 'storage-proven'),
      }),
    );
    expect(proven.signatures?.signatures[0]).toMatchObject({
      fingerprint: TEST_FP,
      fingerprintProven: true,
      status: 'verified',
    });
    const inspected = await cli.run(['inspect', 'lab/signed:v1'], {
      ...(await sandboxEnv(sb)),
      SREGISTRY_STORAGE: join(sb.tmp, 'storage-unproven'),
    });
    expect(inspected.code).toBe(0);
    expect(inspected.stdout).toContain(`signer:   ${TEST_FP} (claimed by the image, unproven) unchecked`);
  });

  it('an image signed in part (an overlay group added after signing) fails UNSIGNED under the default if-signed: nothing stored', async () => {
    const run = await cli.run(['pull', `${remote}/overlay:v1`, '--json']);
    await expectNothingKept('overlay', run, 'UNSIGNED');
    expect(json<ErrorDoc>(run).error.message).toMatch(
      /signed in part: data object 4 is covered by no signature.*nothing was stored/,
    );
  });

  it('--verify off skips the check: the tampered image is stored (its SHA-256 is its version)', async () => {
    const run = await cli.run(['pull', `${remote}/tampered:v1`, '--verify', 'off', '--json']);
    expect(run.code).toBe(0);
    expect(json<Image>(run).signatures).toBeUndefined();
  });

  it('never printed the passphrase, the private key or any secret', () => {
    const keyBody = lab.armoredPrivate.split('\n').filter((l) => l.length > 40)[2]!;
    expect(leakedSecrets(cli.runs, [passphrase, keyBody, sb.client.secret])).toEqual([]);
  });
});
