/**
 * A pull of an image large enough for its signed objects to be hashed on a thread of their
 * own (reading the download's shared stages in place, while the file's hash runs on this
 * thread), against the sandbox: verified in the download's pass with exactly one thread
 * more than a pull that checks nothing, a byte changed deep inside refused with nothing
 * stored, and the caller's own chunk observer still sees every byte.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { copyFile, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { writeSif } from '../../../src/core/sif.js';
import { readSigningKey } from '../../../src/core/signing/openpgp.js';
import { signSifFile } from '../../../src/core/signing/sign.js';
import { startTestSandbox, type TestSandbox } from '../../support/sandbox.js';
import { caught } from '../../support/errors.js';
import { closeCoreAndSandbox } from '../../support/lifecycle.js';
import { fileSha256 } from '../../support/files.js';
import { makeRegistry } from './support.js';

let sb: TestSandbox;
let signed: string;
let plain: string;
let publicKey: string;
let fingerprint: string;

beforeAll(async () => {
  sb = await startTestSandbox();
  const key = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name: 'Big Images' }],
    format: 'armored',
  });
  publicKey = key.publicKey;
  fingerprint = (await openpgp.readKey({ armoredKey: publicKey })).getFingerprint().toUpperCase();
  plain = join(sb.tmp, 'big-plain.sif');
  // Past the size from which the signed objects are hashed on their own thread (64 MiB).
  const size = 64 * 1024 * 1024 + 3 * 1024 * 1024 + 12_345;
  async function* payload(): AsyncGenerator<Buffer> {
    const block = Buffer.alloc(1024 * 1024);
    for (let at = 0, n = 0; at < size; at += block.length, n++) {
      for (let i = 0; i < block.length; i += 4096) block.writeUInt32LE(n * 7919 + i, i);
      yield block.subarray(0, Math.min(block.length, size - at));
    }
  }
  await writeSif(plain, { definition: 'Bootstrap: scratch\n', payloadStream: payload() });
  signed = join(sb.tmp, 'big-signed.sif');
  await signSifFile(plain, signed, await readSigningKey(key.privateKey, undefined, 'test key'));
  // `plain` stays: the same image unsigned.
}, 120_000);
afterAll(() => closeCoreAndSandbox(sb));

const uri = (rest: string): string => `globus://${sb.collection.id}/${rest}`;

const threads = (): number => readdirSync('/proc/self/task').length;
/** The thread count once it stopped changing (threads that were closed have exited). */
async function settledThreads(): Promise<number> {
  let last = threads();
  for (let same = 0, i = 0; same < 5 && i < 100; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const now = threads();
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return last;
}

describe('pull of a large signed image over HTTPS', () => {
  it('is verified in the download pass; the caller onChunk sees every byte too', async () => {
    const h = makeRegistry(sb, 'https', { keyring: [publicKey] }, 'big-signed');
    const [pushed] = await h.registry.push(signed, uri('big/app:v1'));
    const seen = createHash('sha256');
    let next = 0;
    const base = await settledThreads();
    let most = 0;
    const pulled = await h.registry.pull(uri('big/app:v1'), {
      verify: 'required',
      onChunk: (chunk, offset) => {
        expect(offset).toBe(next);
        next += chunk.length;
        seen.update(chunk);
        most = Math.max(most, threads());
      },
    });
    // One thread for the signed objects while the bytes came (the file's hash is on this
    // thread), and none left once the pull is over.
    expect(most - base).toBe(1);
    expect(await settledThreads()).toBe(base);
    expect(pulled.status).toBe('pulled');
    expect(pulled.signatures?.status).toBe('verified');
    expect(pulled.signatures?.signatures.map((s) => [s.fingerprint, s.status])).toEqual([[fingerprint, 'verified']]);
    expect(seen.digest('hex')).toBe(pushed!.version);
    expect(await fileSha256(pulled.image!)).toBe(pushed!.version);
    await h.registry.close();
  }, 60_000);

  it('an unsigned one passes if-signed and fails required with UNSIGNED, the keyring given either way', async () => {
    const h = makeRegistry(sb, 'https', { keyring: [publicKey] }, 'big-plain');
    const [pushed] = await h.registry.push(plain, uri('big/plain:v1'));
    const err = await caught(h.registry.pull(uri('big/plain:v1'), { verify: 'required' }));
    expect(err.code).toBe('UNSIGNED');
    const base = await settledThreads();
    const pulled = await h.registry.pull(uri('big/plain:v1'), { verify: 'if-signed' });
    expect(pulled.signatures?.status).toBe('unsigned');
    // The thread started for a large image under a keyring is closed once its table shows no signature.
    expect(await settledThreads()).toBe(base);
    expect(await fileSha256(pulled.image!)).toBe(pushed!.version);
    await h.registry.close();
  }, 60_000);

  it('a byte changed deep inside the signed object fails SIGNATURE_INVALID: nothing stored, no record', async () => {
    const tampered = join(sb.tmp, 'big-tampered.sif');
    await copyFile(signed, tampered);
    const fh = await open(tampered, 'r+');
    const { size } = await fh.stat();
    const at = size - 20 * 1024 * 1024;
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, at);
    await fh.write(Buffer.from([b[0]! ^ 0x01]), 0, 1, at);
    await fh.close();
    const h = makeRegistry(sb, 'https', { keyring: [publicKey] }, 'big-tampered');
    const [pushed] = await h.registry.push(tampered, uri('big/tampered:v1'));
    const err = await caught(h.registry.pull(uri('big/tampered:v1'), { verify: 'required' }));
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.message).toMatch(/was changed after signing.*nothing was stored/);
    const folder = join(h.storage, 'big', 'tampered');
    expect(existsSync(folder) ? readdirSync(folder) : []).toEqual([]);
    expect(await h.registry.inspect(`big/tampered:v1@${pushed!.version}`)).toBeUndefined();
    // The same bytes pass unchecked under off: they are the version. Nothing checked, no thread started.
    const base = await settledThreads();
    let most = 0;
    const off = await h.registry.pull(uri('big/tampered:v1'), {
      verify: 'off',
      onChunk: () => void (most = Math.max(most, threads())),
    });
    expect(most).toBe(base);
    expect(await fileSha256(off.image!)).toBe(pushed!.version);
    expect((await readFile(off.image!)).length).toBe(size);
    await h.registry.close();
  }, 60_000);
});
