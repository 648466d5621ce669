/**
 * The parts of a SIF that its signatures cover, as sylabs/sif's integrity package defines
 * them (what Apptainer signs and verifies):
 *
 * - the header's integrity bytes: launch script [0,32), magic [32,42), version [42,45)
 *   and image id [48,64) (the arch, times and counts are left out: they change as objects
 *   are added);
 * - a descriptor's integrity bytes: datatype and used flag [0,5), its id relative to the
 *   smallest id of its group, link [13,17), size [25,33), created [41,49), uid and gid
 *   [57,73), name and type-specific extra [73,585) (offsets and modification time left
 *   out, for the same reason);
 * - an object's data, `size` bytes from `offset`.
 *
 * A signature object (datatype 0x4005) is in no group and links to the group it signs
 * (link with the group mask) or, for the oldest legacy signatures, to one object. Its
 * extra holds the hash type (int32) and the signer's 20-byte fingerprint.
 */
import { DESCRIPTOR_SIZE, HEADER_SIZE, SIF_MAGIC, SifDataType } from '../sif.js';

export const GROUP_MASK = 0xf0000000;
/** Descriptor tables beyond this are refused (a damaged header would ask for gigabytes). */
const MAX_DESCRIPTORS = 4096;

/** SIF hash type codes (descriptor extra of a signature) → Node hash names; BLAKE2 types have none here. */
export const SIF_HASHES: Record<number, string> = { 1: 'sha256', 2: 'sha384', 3: 'sha512' };

export interface SifObject {
  /** Index in the descriptor table. */
  index: number;
  id: number;
  dataType: number;
  /** 0: in no group. */
  groupId: number;
  rawGroup: number;
  linkedId: number;
  linksGroup: boolean;
  offset: number;
  size: number;
  /** The whole 585-byte descriptor. */
  raw: Buffer;
}

export interface SifLayout {
  header: Buffer;
  descriptorsOffset: number;
  descriptorsTotal: number;
  descriptorsFree: number;
  dataOffset: number;
  dataSize: number;
  objects: SifObject[];
  /** Smallest object id per raw group value (as the library keys it). */
  minIds: Map<number, number>;
}

const int64 = (buf: Buffer, at: number): number | undefined => {
  const v = buf.readBigInt64LE(at);
  return v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(v);
};

/** Where the descriptor table ends, from the first 128 bytes; undefined when they are not a SIF header. */
export function tableEnd(header: Buffer): number | undefined {
  if (header.length < HEADER_SIZE || header.toString('latin1', 32, 42) !== `${SIF_MAGIC}\0`) return undefined;
  const total = int64(header, 88);
  const offset = int64(header, 96);
  if (total === undefined || offset === undefined || total > MAX_DESCRIPTORS || offset < HEADER_SIZE) return undefined;
  return offset + total * DESCRIPTOR_SIZE;
}

/** Header and descriptor table from the file's first `tableEnd` bytes; undefined when they do not hold one. */
export function parseLayout(front: Buffer, fileSize?: number): SifLayout | undefined {
  const end = tableEnd(front.subarray(0, HEADER_SIZE));
  if (end === undefined || front.length < end) return undefined;
  const header = Buffer.from(front.subarray(0, HEADER_SIZE));
  const total = Number(header.readBigInt64LE(88));
  const descriptorsOffset = Number(header.readBigInt64LE(96));
  const free = int64(header, 80);
  const dataOffset = int64(header, 112);
  const dataSize = int64(header, 120);
  if (free === undefined || dataOffset === undefined || dataSize === undefined) return undefined;
  const objects: SifObject[] = [];
  for (let i = 0; i < total; i++) {
    const raw = Buffer.from(
      front.subarray(descriptorsOffset + i * DESCRIPTOR_SIZE, descriptorsOffset + (i + 1) * DESCRIPTOR_SIZE),
    );
    if (raw.readUInt8(4) === 0) continue;
    const offset = int64(raw, 17);
    const size = int64(raw, 25);
    if (offset === undefined || size === undefined || (fileSize !== undefined && offset + size > fileSize))
      return undefined;
    const rawGroup = raw.readUInt32LE(9);
    const link = raw.readUInt32LE(13);
    objects.push({
      index: i,
      id: raw.readUInt32LE(5),
      dataType: raw.readInt32LE(0),
      groupId: (rawGroup & ~GROUP_MASK) >>> 0,
      rawGroup,
      linkedId: (link & ~GROUP_MASK) >>> 0,
      linksGroup: (link & GROUP_MASK) >>> 0 === GROUP_MASK,
      offset,
      size,
      raw,
    });
  }
  const minIds = new Map<number, number>();
  for (const o of objects) if (!minIds.has(o.rawGroup) || o.id < minIds.get(o.rawGroup)!) minIds.set(o.rawGroup, o.id);
  return {
    header,
    descriptorsOffset,
    descriptorsTotal: total,
    descriptorsFree: free,
    dataOffset,
    dataSize,
    objects,
    minIds,
  };
}

/**
 * Why the layout cannot be trusted to say where objects are, or undefined. sylabs/sif
 * writes each object once, one after the other inside the data area it records in the
 * header (`AddObject` appends at dataOffset+dataSize, then grows dataSize), and its
 * loader never re-reads a byte as two objects; a table that breaks this would make a
 * verifier hash or keep the same bytes many times over.
 */
export function layoutProblem(layout: SifLayout, fileSize?: number): string | undefined {
  const tableEnd = layout.descriptorsOffset + layout.descriptorsTotal * DESCRIPTOR_SIZE;
  const dataEnd = layout.dataOffset + layout.dataSize;
  if (layout.dataOffset < tableEnd)
    return `its data area (from byte ${layout.dataOffset}) overlaps its descriptor table (to byte ${tableEnd})`;
  if (fileSize !== undefined && dataEnd > fileSize)
    return `its data area ends at byte ${dataEnd}, past the end of the file (${fileSize} bytes)`;
  for (const o of layout.objects) {
    if (o.offset < layout.dataOffset || o.offset + o.size > dataEnd)
      return `object ${o.id} (bytes ${o.offset} to ${o.offset + o.size}) lies outside the data area (bytes ${layout.dataOffset} to ${dataEnd})`;
  }
  const placed = layout.objects.filter((o) => o.size > 0).sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < placed.length; i++) {
    const prev = placed[i - 1]!;
    const o = placed[i]!;
    if (o.offset < prev.offset + prev.size) return `objects ${prev.id} and ${o.id} share bytes`;
  }
  return undefined;
}

export function headerIntegrityBytes(header: Buffer): Buffer {
  return Buffer.concat([header.subarray(0, 45), header.subarray(48, 64)]);
}

export function descriptorIntegrityBytes(o: SifObject, relativeId: number): Buffer {
  const rel = Buffer.alloc(4);
  rel.writeUInt32LE(relativeId >>> 0, 0);
  const r = o.raw;
  return Buffer.concat([
    r.subarray(0, 5),
    rel,
    r.subarray(13, 17),
    r.subarray(25, 33),
    r.subarray(41, 49),
    r.subarray(57, 585),
  ]);
}

export const isSignature = (o: SifObject): boolean => o.dataType === SifDataType.Signature;

/** The objects of a group, in descriptor-table order (the order the library reads them). */
export const groupObjects = (layout: SifLayout, groupId: number): SifObject[] =>
  layout.objects.filter((o) => o.groupId === groupId && groupId !== 0);

export const groupMinId = (layout: SifLayout, groupId: number): number | undefined =>
  layout.minIds.get((GROUP_MASK | groupId) >>> 0);

/** The data objects (not signatures) a signature object signs: its group's, or the one object a legacy signature names. */
export const signedBy = (layout: SifLayout, sig: SifObject): SifObject[] =>
  sig.linksGroup
    ? groupObjects(layout, sig.linkedId).filter((o) => !isSignature(o))
    : layout.objects.filter((o) => o.id === sig.linkedId && !isSignature(o));

/** Hash type and 40-hex fingerprint (uppercase; absent when zero) a signature descriptor names. */
export function signatureMeta(o: SifObject): { hashType: number; fingerprint?: string } {
  const extra = o.raw.subarray(201, 585);
  const hashType = extra.readInt32LE(0);
  const fp = extra.subarray(4, 24);
  return fp.every((b) => b === 0) ? { hashType } : { hashType, fingerprint: fp.toString('hex').toUpperCase() };
}
