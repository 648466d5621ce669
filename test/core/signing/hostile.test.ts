/**
 * Descriptor tables written to make a verifier work: many signature objects over the same
 * bytes, many data objects over the whole file, objects outside the data area or the file.
 * The verifier must refuse them before it keeps or hashes anything, and the work it does
 * on a sound image is bounded by the bytes signatures cover: counted, not timed.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as openpgp from 'openpgp';
import { loadKeyring, type Keyring } from '../../../src/core/signing/openpgp.js';
import { fileRanges, MAX_SIGNATURES, SifVerifier, verifySifFile } from '../../../src/core/signing/verify.js';
import { enforceVerifyPolicy } from '../../../src/core/signing/policy.js';
import { GROUP_MASK, parseLayout, tableEnd } from '../../../src/core/signing/sif-objects.js';
import { DESCRIPTOR_SIZE, HEADER_SIZE, SIF_MAGIC, SifDataType } from '../../../src/core/sif.js';
import { reference } from '../../reference/sif-sign.js';

const FIXTURES = resolve('test/fixtures/sif');

interface Entry {
  type: number;
  id: number;
  group: number;
  link: number;
  offset: number;
  size: number;
}

/** A SIF whose header and table say exactly what `entries` say, with `dataSize` bytes of data after the table. */
function craft(entries: Entry[], dataSize: number, declaredDataSize = dataSize): { bytes: Buffer; dataOffset: number } {
  const dataOffset = HEADER_SIZE + entries.length * DESCRIPTOR_SIZE;
  const out = Buffer.alloc(dataOffset + dataSize, 0x41);
  out.fill(0, 0, dataOffset);
  out.write(`${SIF_MAGIC}\0`, 32, 'latin1');
  out.write('01\0', 42, 'latin1');
  out.writeBigInt64LE(0n, 80);
  out.writeBigInt64LE(BigInt(entries.length), 88);
  out.writeBigInt64LE(BigInt(HEADER_SIZE), 96);
  out.writeBigInt64LE(BigInt(entries.length * DESCRIPTOR_SIZE), 104);
  out.writeBigInt64LE(BigInt(dataOffset), 112);
  out.writeBigInt64LE(BigInt(declaredDataSize), 120);
  entries.forEach((e, i) => {
    const at = HEADER_SIZE + i * DESCRIPTOR_SIZE;
    out.writeInt32LE(e.type, at);
    out.writeUInt8(1, at + 4);
    out.writeUInt32LE(e.id, at + 5);
    out.writeUInt32LE(e.group >>> 0, at + 9);
    out.writeUInt32LE(e.link >>> 0, at + 13);
    out.writeBigInt64LE(BigInt(dataOffset + e.offset), at + 17);
    out.writeBigInt64LE(BigInt(e.size), at + 25);
    out.writeInt32LE(1, at + 201); // sha256
  });
  return { bytes: out, dataOffset };
}

const data = (id: number, offset: number, size: number): Entry => ({
  type: SifDataType.Partition,
  id,
  group: (GROUP_MASK | 1) >>> 0,
  link: 0,
  offset,
  size,
});
const signature = (id: number, offset: number, size: number): Entry => ({
  type: SifDataType.Signature,
  id,
  group: 0,
  link: (GROUP_MASK | 1) >>> 0,
  offset,
  size,
});

let dir: string;
let keyring: Keyring;
let none: Keyring;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sif-hostile-'));
  const priv = await openpgp.readPrivateKey({ armoredKey: await readFile(join(FIXTURES, 'private.asc'), 'utf8') });
  keyring = await loadKeyring([{ text: priv.toPublic().armor(), where: 'test key' }]);
  none = await loadKeyring([]);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Streams `bytes` in `chunk`-byte pieces, as a download does. */
function stream(bytes: Buffer, k: Keyring, chunk: number, fileSize?: number): SifVerifier {
  const v = new SifVerifier(k, fileSize);
  for (let at = 0; at < bytes.length && v.wantsMore; at += chunk)
    v.onChunk(bytes.subarray(at, Math.min(at + chunk, bytes.length)), at);
  return v;
}

describe('hostile descriptor tables', () => {
  it('4096 signature objects over the same bytes: refused unread (nothing kept), SIGNATURE_INVALID under if-signed, with or without a keyring', async () => {
    const size = 64 * 1024;
    const entries = [data(1, 0, 16), ...Array.from({ length: 4095 }, (_, i) => signature(i + 2, 16, size))];
    const { bytes } = craft(entries, size + 16);
    for (const k of [none, keyring]) {
      const v = stream(bytes, k, 1024 * 1024, bytes.length);
      const report = await v.finish();
      expect(report).toMatchObject({ status: 'invalid', signatures: [], sif: true });
      expect(report.problem).toMatch(/objects 2 and 3 share bytes/);
      expect(v.work).toMatchObject({ hashed: 0, kept: 0 });
      expect(() => enforceVerifyPolicy(report, 'if-signed', 'lab/app:v1', 'nothing was stored')).toThrow(
        expect.objectContaining({ code: 'SIGNATURE_INVALID' }),
      );
      expect(() => enforceVerifyPolicy(report, 'off', 'lab/app:v1', 'nothing was stored')).not.toThrow();
    }
  });

  it('4096 data objects each covering the whole data area: refused, nothing hashed', async () => {
    const size = 256 * 1024;
    const entries = [...Array.from({ length: 4095 }, (_, i) => data(i + 1, 0, size)), signature(4096, 0, 0)];
    const { bytes } = craft(entries, size);
    const v = stream(bytes, keyring, 65536, bytes.length);
    const report = await v.finish(fileRanges('/nonexistent'));
    expect(report.status).toBe('invalid');
    expect(report.problem).toMatch(/objects 1 and 2 share bytes/);
    expect(v.work.hashed).toBe(0);
  });

  it(`more than ${MAX_SIGNATURES} signature objects, even apart, are refused unread`, async () => {
    const n = MAX_SIGNATURES + 1;
    const entries = [data(1, 0, 16), ...Array.from({ length: n }, (_, i) => signature(i + 2, 16 + i * 100, 100))];
    const { bytes } = craft(entries, 16 + n * 100);
    const v = stream(bytes, none, 4096, bytes.length);
    const report = await v.finish();
    expect(report.problem).toBe(`it has ${n} signature objects, more than the ${MAX_SIGNATURES} this client checks`);
    expect(v.work.kept).toBe(0);
  });

  it('an object outside the data area, a data area past the file, or one past the size the manifest gives, is refused', async () => {
    const outside = craft([data(1, 0, 16), signature(2, 16, 32), data(3, 48, 64)], 64); // object 3 ends 48 bytes past the data area
    expect((await stream(outside.bytes, none, 4096).finish()).problem).toMatch(
      /object 3 .* lies outside the data area/,
    );
    const pastFile = craft([data(1, 0, 16), signature(2, 16, 32)], 48, 1 << 30);
    expect((await stream(pastFile.bytes, none, 4096, pastFile.bytes.length).finish()).problem).toMatch(
      /data area ends at byte \d+, past the end of the file/,
    );
    const whole = craft([data(1, 0, 16), signature(2, 16, 32)], 48);
    // The same bytes, but the manifest says the file is shorter than the table claims.
    expect((await stream(whole.bytes, none, 4096, whole.bytes.length - 1).finish()).problem).toMatch(
      /past the end of the file/,
    );
    const file = join(dir, 'outside.sif');
    await writeFile(file, outside.bytes);
    expect((await verifySifFile(file, none)).status).toBe('invalid');
  });

  it('an unsigned image with a bad table is still just unsigned (no signature to trust or doubt)', async () => {
    const { bytes } = craft([data(1, 0, 100), data(2, 0, 100)], 100);
    const report = await stream(bytes, none, 4096, bytes.length).finish();
    expect(report).toMatchObject({ status: 'unsigned', signatures: [] });
    expect(report.problem).toBeUndefined();
  });

  it('a table of 4096 entries streamed in 512-byte chunks is assembled with copies bounded by its size, not by the chunk count', async () => {
    const entries = [data(1, 0, 16), ...Array.from({ length: 4095 }, (_, i) => signature(i + 2, 16, 16))];
    const { bytes, dataOffset } = craft(entries, 32);
    const v = stream(bytes, none, 512, bytes.length);
    expect(v.wantsMore).toBe(false);
    // Each piece once while the table comes in, then once for the header and once for the whole table.
    expect(v.work.copied).toBeLessThanOrEqual(3 * dataOffset);
  });

  it('a first piece that holds the whole table is read where it lies: nothing is copied to decide', async () => {
    const signed = craft([data(1, 0, 64), signature(2, 64, 64)], 128);
    const plain = craft([data(1, 0, 64), data(2, 64, 64)], 128);
    for (const { bytes } of [signed, plain]) {
      const v = stream(bytes, none, bytes.length, bytes.length);
      expect(v.work.copied).toBe(0);
    }
    // A download's first stage (4 MiB of shared memory) is not duplicated to read the table in it.
    const stage = Buffer.from(new SharedArrayBuffer(4 * 1024 * 1024));
    signed.bytes.copy(stage);
    const from = jest.spyOn(Buffer, 'from');
    try {
      const onStage = new SifVerifier(none, stage.length);
      await onStage.onShared(stage, 0);
      const copies = from.mock.results.filter(
        (r) => Buffer.isBuffer(r.value) && r.value.length >= 1024 * 1024 && r.value.buffer !== stage.buffer,
      );
      expect(copies).toEqual([]);
      await onStage.close();
    } finally {
      from.mockRestore();
    }
    // Split inside the table, the first piece is kept as a copy.
    const v = stream(signed.bytes, none, Math.floor(signed.dataOffset / 2), signed.bytes.length);
    expect(v.work.copied).toBeGreaterThan(0);
  });
});

describe('what is hashed, and an image signed in part', () => {
  it('only the objects a signature covers are hashed: an object in no group added after signing is not, and it makes the image signed in part (UNSIGNED under if-signed, as the reference refuses it)', async () => {
    const image = join(dir, 'signed-plus-ungrouped.sif');
    await copyFile(join(FIXTURES, 'one-group-signed.sif'), image);
    const added = 3 * 1024 * 1024;
    expect(reference(['add', image, '0', String(added)])).toMatchObject({ status: 0, stderr: '' });
    expect(reference(['verify', image, join(FIXTURES, 'private.asc')])).toMatchObject({
      status: 1,
      stderr: expect.stringMatching(/non-signature object not associated with object group/),
    });
    const bytes = await readFile(image);
    const layout = parseLayout(bytes.subarray(0, tableEnd(bytes.subarray(0, 128))!))!;
    const group = layout.objects.filter((o) => o.groupId === 1);
    const extra = layout.objects.find((o) => o.size === added)!;
    expect(extra.groupId).toBe(0);
    const v = stream(bytes, keyring, 100_000, bytes.length);
    const report = await v.finish(fileRanges(image));
    expect(report).toMatchObject({ status: 'verified', unsigned: [extra.id] });
    expect(v.work.hashed).toBe(group.reduce((n, o) => n + o.size, 0));
    for (const policy of ['if-signed', 'required'] as const) {
      expect(() => enforceVerifyPolicy(report, policy, 'lab/app:v1', 'nothing was stored')).toThrow(
        expect.objectContaining({
          code: 'UNSIGNED',
          message: `lab/app:v1 is signed in part: data object ${extra.id} is covered by no signature (added after signing?); nothing was stored: sign the whole image again`,
        }),
      );
    }
  });

  it('an overlay partition added in a new object group after signing: the signature of group 1 still holds, the image is UNSIGNED under if-signed, as the reference refuses it', async () => {
    const image = join(dir, 'signed-plus-overlay.sif');
    await copyFile(join(FIXTURES, 'one-group-signed.sif'), image);
    expect(reference(['add', image, '2', '65536'])).toMatchObject({ status: 0, stderr: '' });
    expect(reference(['verify', image, join(FIXTURES, 'private.asc')])).toMatchObject({
      status: 1,
      stderr: expect.stringMatching(/signature not found for object group 2/),
    });
    for (const k of [keyring, none]) {
      const report = await verifySifFile(image, k);
      expect(report.signatures.map((s) => [s.group, s.status])).toEqual([
        [1, k === keyring ? 'verified' : 'unchecked'],
      ]);
      expect(report.unsigned).toEqual([4]);
      expect(() => enforceVerifyPolicy(report, 'if-signed', 'lab/app:v1', 'nothing was stored')).toThrow(
        expect.objectContaining({
          code: 'UNSIGNED',
          message: expect.stringMatching(/signed in part: data object 4 is covered by no signature/),
        }),
      );
    }
    // The untouched image passes, so it is the added group that is refused.
    const untouched = await verifySifFile(join(FIXTURES, 'one-group-signed.sif'), none);
    expect(() => enforceVerifyPolicy(untouched, 'if-signed', 'x', 'y')).not.toThrow();
  });
});
