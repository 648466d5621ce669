/**
 * SIF signatures against the reference: sylabs/sif's integrity package (what Apptainer
 * signs and verifies with), through test/reference/sif-sign. Images it signed verify here,
 * images signed here verify there, and changed bytes or foreign signers are caught.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { copyFile, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as openpgp from 'openpgp';
import { loadKeyring, readSigningKey, type Keyring } from '../../../src/core/signing/openpgp.js';
import { signatureFingerprints, signSifFile } from '../../../src/core/signing/sign.js';
import {
  fileRanges,
  SifVerifier,
  verifySifFile,
  type SignatureReport,
  type VerifierWork,
} from '../../../src/core/signing/verify.js';
import { enforceVerifyPolicy } from '../../../src/core/signing/policy.js';
import { checkFile, enforceGate, isDownloadVerdict } from '../../../src/core/registry/signatures.js';
import { writeSif } from '../../../src/core/sif.js';
import { parseLayout, tableEnd } from '../../../src/core/signing/sif-objects.js';
import { reference } from '../../reference/sif-sign.js';

const FIXTURES = resolve('test/fixtures/sif');
const TEST_FP = '12045C8C0B1004D058DE4BEDA20C27EE7FF7BA84';
const fixture = (name: string): string => join(FIXTURES, `${name}.sif`);

let dir: string;
let testKeyFile: string;
let testPublicFile: string;
let trusted: Keyring;
let noKeyring: Keyring;
let other: { privateFile: string; publicKey: string; passphrase: string; fingerprint: string };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sif-signatures-'));
  testKeyFile = join(FIXTURES, 'private.asc');
  const priv = await openpgp.readPrivateKey({ armoredKey: await readFile(testKeyFile, 'utf8') });
  testPublicFile = join(dir, 'test-public.asc');
  await writeFile(testPublicFile, priv.toPublic().armor());
  trusted = await loadKeyring([{ text: priv.toPublic().armor(), where: 'test key' }]);
  noKeyring = await loadKeyring([]);
  const passphrase = 'correct horse battery staple';
  const generated = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name: 'Other Lab', email: 'other@lab.test' }],
    passphrase,
    format: 'armored',
  });
  const otherKey = await openpgp.readKey({ armoredKey: generated.publicKey });
  other = {
    privateFile: join(dir, 'other-private.asc'),
    publicKey: generated.publicKey,
    passphrase,
    fingerprint: otherKey.getFingerprint().toUpperCase(),
  };
  await writeFile(other.privateFile, generated.privateKey);
  reference(['verify', fixture('one-group-signed'), testKeyFile]); // builds the reference program once
}, 180_000);

async function flipByte(source: string, at: (size: number) => number): Promise<string> {
  const out = join(dir, `flipped-${Math.random().toString(36).slice(2)}.sif`);
  await copyFile(source, out);
  const fh = await open(out, 'r+');
  try {
    const { size } = await fh.stat();
    const pos = at(size);
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, pos);
    b[0] = b[0]! ^ 0xff;
    await fh.write(b, 0, 1, pos);
  } finally {
    await fh.close();
  }
  return out;
}

describe('images the reference signed', () => {
  it('verify here: a current group signature, with the signer, its user id and the objects covered', async () => {
    expect(reference(['verify', fixture('one-group-signed'), testKeyFile]).stdout).toContain(`ok ${TEST_FP}`);
    const report = await verifySifFile(fixture('one-group-signed'), trusted);
    expect(report).toEqual({
      status: 'verified',
      sif: true,
      unsigned: [],
      signatures: [
        {
          object: 3,
          kind: 'group',
          group: 1,
          objects: [1, 2],
          fingerprint: TEST_FP,
          fingerprintProven: true,
          userId: 'Unit Test <unit@test.com>',
          status: 'verified',
        },
      ],
    });
  });

  it('verify here: legacy group and legacy object signatures', async () => {
    expect(reference(['verify-legacy', fixture('one-group-signed-legacy-group'), testKeyFile]).stdout).toContain(
      `ok ${TEST_FP}`,
    );
    const group = await verifySifFile(fixture('one-group-signed-legacy-group'), trusted);
    expect(group.status).toBe('verified');
    expect(group.signatures.map((s) => [s.kind, s.objects, s.status])).toEqual([['legacy-group', [1, 2], 'verified']]);
    const all = await verifySifFile(fixture('one-group-signed-legacy-all'), trusted);
    expect(all.signatures.map((s) => [s.kind, s.objects, s.status])).toEqual([
      ['legacy-object', [1], 'verified'],
      ['legacy-object', [2], 'verified'],
    ]);
    const one = await verifySifFile(fixture('one-group-signed-legacy'), trusted);
    expect(one.unsigned).toEqual([1]);
    expect(() => enforceVerifyPolicy(one, 'required', 'img', 'nothing was stored')).toThrow(
      expect.objectContaining({ code: 'UNSIGNED' }),
    );
  });

  it('an unsigned image: unsigned, passes if-signed, fails required', async () => {
    const report = await verifySifFile(fixture('one-group'), trusted);
    expect(report).toEqual({ status: 'unsigned', signatures: [], unsigned: [], sif: true });
    expect(() => enforceVerifyPolicy(report, 'if-signed', 'img', 'x')).not.toThrow();
    expect(() => enforceVerifyPolicy(report, 'required', 'img', 'x')).toThrow(
      expect.objectContaining({ code: 'UNSIGNED' }),
    );
  });

  it('without a keyring the digests are still checked, and the signer is reported as unchecked', async () => {
    const report = await verifySifFile(fixture('one-group-signed'), noKeyring);
    expect(report.status).toBe('unchecked');
    expect(report.signatures[0]).toMatchObject({ fingerprint: TEST_FP, status: 'unchecked' });
    expect(() => enforceVerifyPolicy(report, 'if-signed', 'img', 'x')).not.toThrow();
    expect(() => enforceVerifyPolicy(report, 'required', 'img', 'x')).toThrow(
      expect.objectContaining({ code: 'UNTRUSTED_SIGNER' }),
    );
  });

  it.each([
    ['current', 'one-group-signed'],
    ['legacy group', 'one-group-signed-legacy-group'],
  ])(
    'a byte flipped inside a signed object (%s) is SIGNATURE_INVALID, with or without a keyring, as the reference says',
    async (_kind, name) => {
      const layout = await verifySifFile(fixture(name), trusted);
      expect(layout.status).toBe('verified');
      const bytes = await readFile(fixture(name));
      const objects = parseLayout(bytes.subarray(0, tableEnd(bytes.subarray(0, 128))!))!.objects.filter(
        (o) => o.groupId === 1,
      );
      const target = objects.sort((a, b) => b.size - a.size)[0]!;
      expect(target.size).toBeGreaterThan(0);
      const flipped = await flipByte(fixture(name), () => target.offset + Math.floor(target.size / 2));
      const cmd = name.includes('legacy') ? 'verify-legacy' : 'verify';
      expect(reference([cmd, flipped, testKeyFile]).status).not.toBe(0);
      for (const keyring of [trusted, noKeyring]) {
        const report = await verifySifFile(flipped, keyring);
        expect(report.status).toBe('invalid');
        expect(report.signatures[0]!.reason).toMatch(/changed after signing/);
        expect(() => enforceVerifyPolicy(report, 'if-signed', 'lab/app:v1', 'nothing was stored')).toThrow(
          expect.objectContaining({ code: 'SIGNATURE_INVALID' }),
        );
      }
    },
  );

  it('a changed header or signature text is SIGNATURE_INVALID', async () => {
    const header = await flipByte(fixture('one-group-signed'), () => 50); // inside the image id
    expect(reference(['verify', header, testKeyFile]).status).not.toBe(0);
    expect((await verifySifFile(header, trusted)).signatures[0]!.reason).toMatch(/header/);
    const text = await flipByte(fixture('one-group-signed'), (size) => size - 700); // inside the armored signature
    expect((await verifySifFile(text, trusted)).status).toBe('invalid');
  });
});

describe('refusals that are verdicts on a download', () => {
  const refusal = (f: () => void): unknown => {
    try {
      f();
    } catch (err) {
      return err;
    }
    throw new Error('not refused');
  };

  it('a check whose bytes could not be read says so, and its refusal is no verdict; a changed image is one', async () => {
    const bytes = await readFile(fixture('one-group-signed'));
    const v = new SifVerifier(trusted);
    v.onChunk(bytes.subarray(0, tableEnd(bytes.subarray(0, 128))!), 0);
    // Nothing past the table can be read again (a file cut short since).
    const short = await v.finish(async function* () {});
    expect(short).toMatchObject({ status: 'invalid', unread: true });
    const unreadRefusal = refusal(() => enforceGate(short, 'if-signed', 'x', 'nothing was stored', true));
    expect((unreadRefusal as { code?: string }).code).toBe('SIGNATURE_INVALID');
    expect(isDownloadVerdict(unreadRefusal)).toBe(false);
    const changed = await verifySifFile(await flipByte(fixture('one-group-signed'), () => 50), trusted);
    expect(changed.status).toBe('invalid');
    expect(changed.unread).toBeUndefined();
    expect(isDownloadVerdict(refusal(() => enforceGate(changed, 'if-signed', 'x', 'nothing was stored', true)))).toBe(
      true,
    );
    // The same refusal of a file already there (a stored copy) is not.
    expect(isDownloadVerdict(refusal(() => enforceGate(changed, 'if-signed', 'x', 'left', false)))).toBe(false);
  });
});

describe('a signer outside the keyring', () => {
  it('is UNTRUSTED_SIGNER (the reference signed it with another key)', async () => {
    const image = join(dir, 'other-signed.sif');
    await copyFile(fixture('one-group'), image);
    const signed = reference(['sign', other.privateFile, image], { SIF_SIGN_PASSPHRASE: other.passphrase });
    expect(signed.stderr).toBe('');
    expect(reference(['verify', image, testKeyFile]).status).not.toBe(0);
    const report = await verifySifFile(image, trusted);
    expect(report.status).toBe('untrusted');
    expect(report.signatures[0]).toMatchObject({ fingerprint: other.fingerprint, status: 'untrusted' });
    expect(() => enforceVerifyPolicy(report, 'required', 'lab/app:v1', 'nothing was stored')).toThrow(
      expect.objectContaining({ code: 'UNTRUSTED_SIGNER' }),
    );
    expect(() => enforceVerifyPolicy(report, 'if-signed', 'lab/app:v1', 'nothing was stored')).toThrow(
      expect.objectContaining({ code: 'UNTRUSTED_SIGNER' }),
    );
    const both = await loadKeyring([
      { text: await readFile(testPublicFile, 'utf8'), where: 'a' },
      { text: other.publicKey, where: 'b' },
    ]);
    expect((await verifySifFile(image, both)).signatures[0]).toMatchObject({
      status: 'verified',
      userId: 'Other Lab <other@lab.test>',
    });
  });
});

describe('images signed here', () => {
  it('verify with the reference and here; the input file is left unchanged', async () => {
    const input = fixture('one-group');
    const before = await readFile(input);
    const out = join(dir, 'signed-here.sif');
    const key = await readSigningKey(await readFile(testKeyFile, 'utf8'), undefined, 'test key');
    const result = await signSifFile(input, out, key);
    expect(result).toEqual({ fingerprint: TEST_FP, groups: [1] });
    expect(await readFile(input)).toEqual(before);
    expect(reference(['verify', out, testPublicFile])).toMatchObject({ status: 0, stdout: `ok ${TEST_FP}\n` });
    expect((await verifySifFile(out, trusted)).status).toBe('verified');
    expect(await signatureFingerprints(out)).toEqual([TEST_FP]);
    expect(await signatureFingerprints(input)).toEqual([]);
  });

  it('an image written by writeSif, signed with a passphrase-protected key, verifies with the reference', async () => {
    const input = join(dir, 'ours.sif');
    await writeSif(input, {
      definition: 'Bootstrap: docker\nFrom: alpine\n',
      labels: { a: 'b' },
      payloadBytes: Buffer.alloc(200_000, 7),
    });
    const out = join(dir, 'ours-signed.sif');
    await expect(readSigningKey(await readFile(other.privateFile, 'utf8'), undefined, 'key.asc')).rejects.toMatchObject(
      { code: 'INVALID_INPUT' },
    );
    await expect(readSigningKey(await readFile(other.privateFile, 'utf8'), 'wrong', 'key.asc')).rejects.toThrow(
      /does not unlock the signing key key\.asc/,
    );
    const key = await readSigningKey(await readFile(other.privateFile, 'utf8'), other.passphrase, 'key.asc');
    await signSifFile(input, out, key);
    const otherPublic = join(dir, 'other-public.asc');
    await writeFile(otherPublic, other.publicKey);
    expect(reference(['verify', out, otherPublic])).toMatchObject({ status: 0, stdout: `ok ${other.fingerprint}\n` });
    expect(reference(['verify', out, testPublicFile]).status).not.toBe(0);
  });

  it('refuses what is not a SIF', async () => {
    const input = join(dir, 'plain.bin');
    await writeFile(input, Buffer.alloc(5000, 1));
    const key = await readSigningKey(await readFile(testKeyFile, 'utf8'), undefined, 'test key');
    await expect(signSifFile(input, join(dir, 'plain-signed.bin'), key)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });
});

describe('the streaming verifier', () => {
  it('gives the same report for any chunking, and starts over at offset 0', async () => {
    for (const name of ['one-group-signed', 'one-group-signed-legacy-group', 'one-group']) {
      const bytes = await readFile(fixture(name));
      const expected = await verifySifFile(fixture(name), trusted);
      for (const size of [1, 7, 100, 4096, 65536, bytes.length]) {
        const v = new SifVerifier(trusted);
        // A false start first: 1000 bytes, then the download begins again.
        v.onChunk(bytes.subarray(0, 1000), 0);
        for (let at = 0; at < bytes.length; at += size)
          v.onChunk(bytes.subarray(at, Math.min(at + size, bytes.length)), at);
        expect(await v.finish(fileRanges(fixture(name)))).toEqual(expected);
      }
    }
  });

  it('hashes a large image on a worker thread: verified from the stream alone, and a changed byte deep inside is caught', async () => {
    const input = join(dir, 'large.sif');
    async function* payload(): AsyncGenerator<Buffer> {
      const block = Buffer.alloc(4 * 1024 * 1024);
      for (let i = 0; i < 18; i++) yield block.fill(i);
    }
    await writeSif(input, { definition: 'Bootstrap: scratch\n', payloadStream: payload() });
    const signed = join(dir, 'large-signed.sif');
    await signSifFile(input, signed, await readSigningKey(await readFile(testKeyFile, 'utf8'), undefined, 'test key'));
    await rm(input);
    const stream = async (file: string): Promise<SifVerifier> => {
      const v = new SifVerifier(trusted);
      const fh = await open(file, 'r');
      const buf = Buffer.alloc(300_000);
      for (let at = 0; ;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, at);
        if (bytesRead === 0) break;
        v.onChunk(buf.subarray(0, bytesRead), at);
        at += bytesRead;
      }
      await fh.close();
      return v;
    };
    // No reread given: the object digests can only have come from the thread.
    expect((await (await stream(signed)).finish()).status).toBe('verified');
    const flipped = await flipByte(signed, (size) => size - 9 * 1024 * 1024);
    const report = await (await stream(flipped)).finish();
    expect(report.status).toBe('invalid');
    expect(report.signatures[0]!.reason).toMatch(/object 2 was changed after signing/);
    expect(reference(['verify', flipped, testPublicFile]).status).not.toBe(0);
    // As a download hands its write stages: views of shared memory the thread reads in
    // place, each held until its promise settles (if one is returned); the front first in
    // small unshared pieces.
    const staged = async (
      file: string,
    ): Promise<{ report: SignatureReport; inPlace: number | 'all'; work: VerifierWork }> => {
      const bytes = await readFile(file);
      // The size known up front (a manifest's) and a keyring: the thread starts before the table is read.
      const v = new SifVerifier(trusted, bytes.length);
      const stages = [
        new Uint8Array(new SharedArrayBuffer(4 * 1024 * 1024)),
        new Uint8Array(new SharedArrayBuffer(4 * 1024 * 1024)),
      ];
      let inPlace = 0;
      let stageCount = 0;
      let at = 0;
      for (; at < 1000; at += 100) expect(v.onShared(bytes.subarray(at, at + 100), at)).toBeUndefined();
      for (let turn = 0; at < bytes.length; turn ^= 1) {
        const stage = stages[turn]!;
        const n = Math.min(stage.length, bytes.length - at);
        stage.set(bytes.subarray(at, at + n));
        const held = v.onShared(stage.subarray(0, n), at);
        stageCount++;
        if (held) inPlace++;
        // The stage is refilled only once the thread is done with it.
        await held;
        at += n;
      }
      return { report: await v.finish(), inPlace: inPlace === stageCount ? 'all' : inPlace, work: v.work };
    };
    const good = await staged(signed);
    expect(good.report.status).toBe('verified');
    // Every stage is read in place: none is copied.
    expect(good.inPlace).toBe('all');
    // Only the signature objects were handled on this thread; no data object was hashed or copied here.
    expect(good.work.hashed).toBe(0);
    const bad = await staged(flipped);
    expect(bad.report.status).toBe('invalid');
    expect(bad.report.signatures[0]!.reason).toMatch(/object 2 was changed after signing/);
    // A stream given up half way frees its thread.
    const abandoned = new SifVerifier(trusted);
    const head = await readFile(signed);
    abandoned.onChunk(head.subarray(0, 20 * 1024 * 1024), 0);
    await abandoned.close();
  });

  it('a check of a large signed file that is aborted frees the hashing thread it started', async () => {
    const input = join(dir, 'abort.sif');
    async function* payload(): AsyncGenerator<Buffer> {
      const block = Buffer.alloc(4 * 1024 * 1024);
      for (let i = 0; i < 17; i++) yield block.fill(i);
    }
    await writeSif(input, { definition: 'Bootstrap: scratch\n', payloadStream: payload() });
    const signed = join(dir, 'abort-signed.sif');
    await signSifFile(input, signed, await readSigningKey(await readFile(testKeyFile, 'utf8'), undefined, 'test key'));
    const gate = { policy: 'required' as const, keyring: trusted };
    // A whole check first: what it leaves running (the file system's pool) is in the count below.
    expect((await checkFile(gate, signed, signed, 'kept'))?.status).toBe('verified');
    const threads = (): number => readdirSync('/proc/self/task').length;
    const settled = async (base: number): Promise<number> => {
      for (let i = 0; i < 50 && threads() > base; i++) await new Promise((r) => setTimeout(r, 100));
      return threads();
    };
    const base = await settled(0);
    for (let i = 0; i < 4; i++) {
      const aborted = new AbortController();
      aborted.abort(new Error('stopped'));
      await expect(checkFile(gate, signed, signed, 'kept', aborted.signal)).rejects.toThrow('stopped');
    }
    expect(await settled(base)).toBeLessThanOrEqual(base);
  });

  it('refuses bytes out of order, and calls a file that is not a SIF unsigned', async () => {
    const v = new SifVerifier(trusted);
    v.onChunk(Buffer.alloc(10), 0);
    expect(() => v.onChunk(Buffer.alloc(10), 50)).toThrow(/expecting 10/);
    const plain = new SifVerifier(trusted);
    plain.onChunk(Buffer.alloc(4096, 3), 0);
    expect(plain.wantsMore).toBe(false);
    expect(await plain.finish()).toEqual({ status: 'unsigned', signatures: [], unsigned: [], sif: false });
  });

  it('a keyring of private keys or of nothing parseable is refused by name', async () => {
    await expect(loadKeyring([{ text: 'hello', where: 'keys.txt' }])).rejects.toThrow(
      /keys\.txt holds no armored OpenPGP public key/,
    );
    await expect(loadKeyring([{ text: await readFile(testKeyFile, 'utf8'), where: 'secret.asc' }])).rejects.toThrow(
      /secret\.asc holds a private key/,
    );
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
});
