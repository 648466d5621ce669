/**
 * Signs a SIF as Apptainer does (`apptainer sign`, sylabs/sif's integrity signer): one
 * signature object per object group, each a clear-signed JSON of the SHA-256 digests of
 * the header's and each object's integrity bytes. The signed image is written to a new
 * file (a copy); the input is never changed.
 */
import { createHash } from 'node:crypto';
import { copyFile, open, type FileHandle } from 'node:fs/promises';
import { SregistryError } from '../errors.js';
import { DESCRIPTOR_SIZE, HEADER_SIZE, SifDataType } from '../sif.js';
import { clearSign, fingerprintOf } from './openpgp.js';
import type { PrivateKey } from 'openpgp';
import {
  descriptorIntegrityBytes,
  GROUP_MASK,
  groupMinId,
  groupObjects,
  headerIntegrityBytes,
  isSignature,
  parseLayout,
  signatureMeta,
  tableEnd,
  type SifLayout,
  type SifObject,
} from './sif-objects.js';

async function readFront(fh: FileHandle, what: string): Promise<SifLayout> {
  const { size } = await fh.stat();
  const head = Buffer.alloc(HEADER_SIZE);
  await fh.read(head, 0, HEADER_SIZE, 0);
  const end = size >= HEADER_SIZE ? tableEnd(head) : undefined;
  if (end === undefined || end > size)
    throw new SregistryError(
      'INVALID_INPUT',
      `${what} is not a SIF image, so it cannot be signed; build it with apptainer or singularity`,
    );
  const front = Buffer.alloc(end);
  await fh.read(front, 0, end, 0);
  const layout = parseLayout(front, size);
  if (!layout)
    throw new SregistryError('INVALID_INPUT', `${what} has a damaged SIF descriptor table, so it cannot be signed`);
  return layout;
}

async function objectDigest(fh: FileHandle, o: SifObject): Promise<string> {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(Math.min(Math.max(o.size, 1), 4 * 1024 * 1024));
  let done = 0;
  while (done < o.size) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, o.size - done), o.offset + done);
    if (bytesRead === 0) throw new SregistryError('LOCAL_IO', `The SIF ends inside object ${o.id}`);
    hash.update(buf.subarray(0, bytesRead));
    done += bytesRead;
  }
  return hash.digest('hex');
}

/** The JSON the library signs for a group, with its field order (Go's encoding of its structs). */
async function groupMetadata(fh: FileHandle, layout: SifLayout, groupId: number): Promise<string> {
  const minId = groupMinId(layout, groupId)!;
  const objects = groupObjects(layout, groupId).sort((a, b) => a.id - b.id);
  const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  const entries = [];
  for (const o of objects) {
    const relativeId = o.id - minId;
    entries.push({
      relativeId,
      descriptorDigest: sha(descriptorIntegrityBytes(o, relativeId)),
      objectDigest: `sha256:${await objectDigest(fh, o)}`,
    });
  }
  return JSON.stringify({ version: 1, header: { digest: sha(headerIntegrityBytes(layout.header)) }, objects: entries });
}

export interface SignResult {
  /** The signer's fingerprint, 40 uppercase hex. */
  fingerprint: string;
  /** Object groups signed. */
  groups: number[];
}

/**
 * Writes `output`: `input` with one more signature object per object group, made with
 * `key` (unlocked). `now` is the signing time (seconds) for the new descriptors.
 */
export async function signSifFile(
  input: string,
  output: string,
  key: PrivateKey,
  now = new Date(),
): Promise<SignResult> {
  await copyFile(input, output).catch((err: unknown) => {
    throw new SregistryError('LOCAL_IO', `Cannot copy ${input} to sign it: ${(err as Error).message}`, { cause: err });
  });
  const fh = await open(output, 'r+');
  try {
    const layout = await readFront(fh, input);
    const groups = [
      ...new Set(layout.objects.filter((o) => !isSignature(o) && o.groupId !== 0).map((o) => o.groupId)),
    ].sort((a, b) => a - b);
    if (groups.length === 0) throw new SregistryError('INVALID_INPUT', `${input} has no object group to sign`);
    const fingerprint = fingerprintOf(key);
    const fp = Buffer.from(fingerprint, 'hex');
    const seconds = BigInt(Math.floor(now.getTime() / 1000));
    const header = Buffer.from(layout.header);
    let dataSize = layout.dataSize;
    let free = layout.descriptorsFree;
    const used = new Set(layout.objects.map((o) => o.index));
    for (const groupId of groups) {
      const armored = Buffer.from(await clearSign(await groupMetadata(fh, layout, groupId), key), 'utf8');
      const index = [...Array(layout.descriptorsTotal).keys()].find((i) => !used.has(i));
      if (index === undefined || free <= 0)
        throw new SregistryError(
          'INVALID_INPUT',
          `${input} has no free SIF descriptor left for a signature; rebuild it with room for more objects`,
        );
      used.add(index);
      free--;
      const offset = layout.dataOffset + dataSize;
      await fh.write(armored, 0, armored.length, offset);
      const d = Buffer.alloc(DESCRIPTOR_SIZE);
      d.writeInt32LE(SifDataType.Signature, 0);
      d.writeUInt8(1, 4);
      d.writeUInt32LE(index + 1, 5);
      d.writeUInt32LE(GROUP_MASK >>> 0, 9);
      d.writeUInt32LE((GROUP_MASK | groupId) >>> 0, 13);
      d.writeBigInt64LE(BigInt(offset), 17);
      d.writeBigInt64LE(BigInt(armored.length), 25);
      d.writeBigInt64LE(BigInt(armored.length), 33);
      d.writeBigInt64LE(seconds, 41);
      d.writeBigInt64LE(seconds, 49);
      d.writeInt32LE(1, 201); // hash type: SHA-256
      fp.copy(d, 205);
      await fh.write(d, 0, d.length, layout.descriptorsOffset + index * DESCRIPTOR_SIZE);
      dataSize += armored.length;
    }
    header.writeBigInt64LE(BigInt(free), 80);
    header.writeBigInt64LE(seconds, 72);
    header.writeBigInt64LE(BigInt(dataSize), 120);
    await fh.write(header, 0, header.length, 0);
    await fh.truncate(layout.dataOffset + dataSize);
    return { fingerprint, groups };
  } finally {
    await fh.close();
  }
}

/** Fingerprints the signature descriptors of a SIF name (advisory: nothing is checked); [] for an unsigned image or another file. */
export async function signatureFingerprints(path: string): Promise<string[]> {
  const fh = await open(path, 'r');
  try {
    let layout: SifLayout;
    try {
      layout = await readFront(fh, path);
    } catch {
      return [];
    }
    return [...new Set(layout.objects.filter(isSignature).flatMap((o) => signatureMeta(o).fingerprint ?? []))].sort();
  } finally {
    await fh.close();
  }
}
