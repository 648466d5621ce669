/**
 * Just enough of the Singularity Image Format (SIF) to read an image's metadata and to
 * write small valid images for tests and the demo.
 *
 * A SIF file starts with a 128-byte global header (little-endian):
 *   0 launch script [32]   32 magic "SIF_MAGIC\0" [10]   42 version "01\0" [3]   45 arch [3]
 *   48 id (UUID) [16]      64 created   72 modified   80 free descriptors   88 total descriptors
 *   96 descriptors offset  104 descriptors size      112 data offset       120 data size
 * (all int64 from 64 on). The descriptor table holds fixed 585-byte entries:
 *   0 datatype int32  4 used u8  5 id u32  9 group id u32  13 link u32  17 offset int64
 *   25 size int64  33 size with padding int64  41 created  49 modified  57 uid  65 gid
 *   73 name [128]  201 type-specific extra [384]
 * For partitions the extra holds fs type int32, partition type int32 and arch [3].
 *
 * Labels: Singularity stores a JSON labels object (datatype 0x4003). Readers here accept
 * both shapes seen in the wild: a flat {"label": "value"} object, and an object keyed by
 * partition name ({"system-partition": {...}, "<app>": {...}}), of which the system
 * partition's labels are used. writeSif writes the flat shape. Images built by recent
 * Apptainer keep their labels inside the squashfs only; for those `labels` is absent.
 */
import { randomUUID } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { SregistryError } from './errors.js';

export const SIF_LAUNCH = '#!/usr/bin/env run-singularity\n';
export const SIF_MAGIC = 'SIF_MAGIC';
export const SIF_VERSION = '01';
export const HEADER_SIZE = 128;
export const DESCRIPTOR_SIZE = 585;

export const SifDataType = {
  Deffile: 0x4001,
  EnvVar: 0x4002,
  Labels: 0x4003,
  Partition: 0x4004,
  Signature: 0x4005,
  GenericJson: 0x4006,
  Generic: 0x4007,
  CryptoMessage: 0x4008,
  Sbom: 0x4009,
  OciRootIndex: 0x400a,
  OciBlob: 0x400b,
} as const;

export const SifFsType = { Squash: 1, Ext3: 2, ImmutableObject: 3, Raw: 4, EncryptedSquash: 5 } as const;
export const SifPartType = { System: 1, PrimarySystem: 2, Data: 3, Overlay: 4 } as const;

/** Two-digit arch codes of the header and partition descriptors. */
const ARCH_CODES: Record<string, string> = {
  '01': '386',
  '02': 'amd64',
  '03': 'arm',
  '04': 'arm64',
  '05': 'ppc64',
  '06': 'ppc64le',
  '07': 'mips',
  '08': 'mipsle',
  '09': 'mips64',
  '10': 'mips64le',
  '11': 's390x',
};

const GROUP_MASK = 0xf0000000;
const DEFAULT_DESCRIPTORS = 48;
/** Refuse descriptor tables bigger than this (a corrupt header would otherwise ask for gigabytes). */
const MAX_DESCRIPTORS = 4096;
/** Metadata objects are small; larger ones are skipped rather than read. */
const MAX_METADATA_BYTES = 1024 * 1024;
const ALIGN = 4096;

export interface SifInfo {
  /** Image UUID from the header. */
  id?: string;
  /** ISO 8601, from the header. */
  created?: string;
  modified?: string;
  /** Go arch name of the primary partition (e.g. amd64). */
  arch?: string;
  definition?: string;
  labels?: Record<string, string>;
}

interface RawDescriptor {
  dataType: number;
  id: number;
  offset: number;
  size: number;
  extra: Buffer;
}

/**
 * Reads a SIF file's header and small metadata objects with positioned reads (never the
 * whole file). Anything that is not a well-formed SIF gives `undefined`; only a file that
 * cannot be opened or read throws (LOCAL_IO).
 */
export async function readSif(path: string): Promise<SifInfo | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw new SregistryError('LOCAL_IO', `Cannot open image file ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return await readOpen(fh);
  } catch (err) {
    if (err instanceof SregistryError) throw err;
    throw new SregistryError('LOCAL_IO', `Cannot read image file ${path}: ${(err as Error).message}`, { cause: err });
  } finally {
    await fh.close();
  }
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer | undefined> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) return undefined;
    done += bytesRead;
  }
  return buf;
}

const cString = (buf: Buffer): string => {
  const nul = buf.indexOf(0);
  return buf.subarray(0, nul < 0 ? buf.length : nul).toString('latin1');
};

/** int64 fields as safe numbers; anything outside the safe range marks the file as corrupt. */
function int64(buf: Buffer, offset: number): number | undefined {
  const v = buf.readBigInt64LE(offset);
  return v < BigInt(Number.MIN_SAFE_INTEGER) || v > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(v);
}

function unixTime(seconds: number | undefined): string | undefined {
  if (seconds === undefined || seconds <= 0) return undefined;
  const d = new Date(seconds * 1000);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

function formatUuid(b: Buffer): string | undefined {
  if (b.every((x) => x === 0)) return undefined;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

async function readOpen(fh: FileHandle): Promise<SifInfo | undefined> {
  const { size: fileSize } = await fh.stat();
  if (fileSize < HEADER_SIZE) return undefined;
  const header = await readAt(fh, 0, HEADER_SIZE);
  if (!header) return undefined;
  if (header.toString('latin1', 32, 42) !== `${SIF_MAGIC}\0`) return undefined;

  const total = int64(header, 88);
  const descOffset = int64(header, 96);
  if (total === undefined || descOffset === undefined) return undefined;
  if (total < 0 || total > MAX_DESCRIPTORS || descOffset < HEADER_SIZE) return undefined;
  if (descOffset + total * DESCRIPTOR_SIZE > fileSize) return undefined;

  const info: SifInfo = {};
  const id = formatUuid(header.subarray(48, 64));
  if (id) info.id = id;
  const created = unixTime(int64(header, 64));
  if (created) info.created = created;
  const modified = unixTime(int64(header, 72));
  if (modified) info.modified = modified;
  const headerArch = ARCH_CODES[cString(header.subarray(45, 48))];
  if (headerArch) info.arch = headerArch;

  const table = total === 0 ? Buffer.alloc(0) : await readAt(fh, descOffset, total * DESCRIPTOR_SIZE);
  if (!table) return undefined;
  const descriptors: RawDescriptor[] = [];
  for (let i = 0; i < total; i++) {
    const d = table.subarray(i * DESCRIPTOR_SIZE, (i + 1) * DESCRIPTOR_SIZE);
    if (d.readUInt8(4) === 0) continue;
    const offset = int64(d, 17);
    const size = int64(d, 25);
    if (offset === undefined || size === undefined || offset < 0 || size < 0 || offset + size > fileSize)
      return undefined;
    descriptors.push({
      dataType: d.readInt32LE(0),
      id: d.readUInt32LE(5),
      offset,
      size,
      extra: Buffer.from(d.subarray(201, 585)),
    });
  }

  const primary =
    descriptors.find(
      (d) => d.dataType === SifDataType.Partition && d.extra.readInt32LE(4) === SifPartType.PrimarySystem,
    ) ?? descriptors.find((d) => d.dataType === SifDataType.Partition);
  const partArch = primary ? ARCH_CODES[cString(primary.extra.subarray(8, 11))] : undefined;
  if (partArch) info.arch = partArch;

  for (const d of descriptors) {
    if (d.size > MAX_METADATA_BYTES) continue;
    if (d.dataType === SifDataType.Deffile && info.definition === undefined) {
      const bytes = await readAt(fh, d.offset, d.size);
      if (bytes) info.definition = bytes.toString('utf8');
    } else if (d.dataType === SifDataType.Labels) {
      const bytes = await readAt(fh, d.offset, d.size);
      const labels = bytes ? labelsFromJson(bytes.toString('utf8')) : undefined;
      if (labels) info.labels = { ...(info.labels ?? {}), ...labels };
    }
  }
  return info;
}

/** Flat string map, or the `system-partition` member of a map keyed by partition. */
function labelsFromJson(text: string): Record<string, string> | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(data)) return undefined;
  const nested = data['system-partition'];
  const source = isObject(nested) ? nested : data;
  const out: Record<string, string> = {};
  let any = false;
  for (const [k, v] of Object.entries(source)) {
    if (typeof v === 'string') {
      out[k] = v;
      any = true;
    } else if (typeof v === 'number' || typeof v === 'boolean') {
      out[k] = String(v);
      any = true;
    }
  }
  return any ? out : undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------
// Writing

export interface WriteSifOptions {
  definition?: string;
  labels?: Record<string, string>;
  /** Content of the squashfs-typed partition; arbitrary bytes are fine for tests. */
  payloadBytes?: Uint8Array;
  payloadStream?: Readable | AsyncIterable<Uint8Array>;
  /** Go arch name; default amd64. */
  arch?: string;
  /** Fixed time for reproducible files; default now. */
  created?: Date;
  /** Fixed image UUID; default random. */
  id?: string;
}

interface PlannedObject {
  dataType: number;
  offset: number;
  size: number;
  padding: number;
  extra?: Buffer;
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/**
 * Writes a minimal valid SIF: header, a 48-entry descriptor table, then the definition
 * file, the labels JSON and one primary-system squashfs partition holding the payload.
 * The payload is streamed; the header and table are written last, once sizes are known.
 */
export async function writeSif(path: string, options: WriteSifOptions): Promise<{ size: number }> {
  const archCode = Object.entries(ARCH_CODES).find(([, name]) => name === (options.arch ?? 'amd64'))?.[0];
  if (!archCode)
    throw new SregistryError(
      'INVALID_INPUT',
      `Unknown SIF arch "${options.arch}": use one of ${Object.values(ARCH_CODES).join(', ')}`,
    );
  if (options.payloadBytes && options.payloadStream) {
    throw new SregistryError('INVALID_INPUT', 'Give writeSif either payloadBytes or payloadStream, not both');
  }
  const createdSec = Math.floor((options.created ?? new Date()).getTime() / 1000);
  const uuid = options.id ?? randomUUID();
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uuid)) {
    throw new SregistryError('INVALID_INPUT', `SIF id "${uuid}" is not a UUID`);
  }

  const descOffset = ALIGN;
  const dataOffset = alignUp(descOffset + DEFAULT_DESCRIPTORS * DESCRIPTOR_SIZE, ALIGN);
  const planned: PlannedObject[] = [];
  const blobs: Buffer[] = [];
  let cursor = dataOffset;
  const addSmall = (dataType: number, bytes: Buffer): void => {
    planned.push({ dataType, offset: cursor, size: bytes.length, padding: 0 });
    blobs.push(bytes);
    cursor += bytes.length;
  };
  if (options.definition !== undefined) addSmall(SifDataType.Deffile, Buffer.from(options.definition, 'utf8'));
  if (options.labels && Object.keys(options.labels).length > 0)
    addSmall(SifDataType.Labels, Buffer.from(JSON.stringify(options.labels), 'utf8'));
  const partOffset = alignUp(cursor, ALIGN);
  const partPadding = partOffset - cursor;

  const fh = await open(path, 'w').catch((err: unknown) => {
    throw new SregistryError('LOCAL_IO', `Cannot create SIF file ${path}: ${(err as Error).message}`, { cause: err });
  });
  try {
    for (let i = 0; i < blobs.length; i++) {
      const blob = blobs[i] as Buffer;
      await fh.write(blob, 0, blob.length, (planned[i] as PlannedObject).offset);
    }
    let partSize = 0;
    if (options.payloadBytes) {
      const b = Buffer.from(
        options.payloadBytes.buffer,
        options.payloadBytes.byteOffset,
        options.payloadBytes.byteLength,
      );
      if (b.length > 0) await fh.write(b, 0, b.length, partOffset);
      partSize = b.length;
    } else if (options.payloadStream) {
      for await (const chunk of options.payloadStream as AsyncIterable<Uint8Array | string>) {
        const b =
          typeof chunk === 'string'
            ? Buffer.from(chunk)
            : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        await fh.write(b, 0, b.length, partOffset + partSize);
        partSize += b.length;
      }
    }
    const extra = Buffer.alloc(384);
    extra.writeInt32LE(SifFsType.Squash, 0);
    extra.writeInt32LE(SifPartType.PrimarySystem, 4);
    extra.write(`${archCode}\0`, 8, 'latin1');
    planned.push({ dataType: SifDataType.Partition, offset: partOffset, size: partSize, padding: partPadding, extra });

    const end = partOffset + partSize;
    const table = Buffer.alloc(DEFAULT_DESCRIPTORS * DESCRIPTOR_SIZE);
    planned.forEach((p, i) => {
      const d = table.subarray(i * DESCRIPTOR_SIZE, (i + 1) * DESCRIPTOR_SIZE);
      d.writeInt32LE(p.dataType, 0);
      d.writeUInt8(1, 4);
      d.writeUInt32LE(i + 1, 5);
      d.writeUInt32LE((GROUP_MASK | 1) >>> 0, 9);
      d.writeUInt32LE(0, 13);
      d.writeBigInt64LE(BigInt(p.offset), 17);
      d.writeBigInt64LE(BigInt(p.size), 25);
      d.writeBigInt64LE(BigInt(p.size + p.padding), 33);
      d.writeBigInt64LE(BigInt(createdSec), 41);
      d.writeBigInt64LE(BigInt(createdSec), 49);
      if (p.extra) p.extra.copy(d, 201);
    });
    await fh.write(table, 0, table.length, descOffset);

    const header = Buffer.alloc(HEADER_SIZE);
    header.write(SIF_LAUNCH, 0, 'latin1');
    header.write(`${SIF_MAGIC}\0`, 32, 'latin1');
    header.write(`${SIF_VERSION}\0`, 42, 'latin1');
    header.write(`${archCode}\0`, 45, 'latin1');
    Buffer.from(uuid.replace(/-/g, ''), 'hex').copy(header, 48);
    header.writeBigInt64LE(BigInt(createdSec), 64);
    header.writeBigInt64LE(BigInt(createdSec), 72);
    header.writeBigInt64LE(BigInt(DEFAULT_DESCRIPTORS - planned.length), 80);
    header.writeBigInt64LE(BigInt(DEFAULT_DESCRIPTORS), 88);
    header.writeBigInt64LE(BigInt(descOffset), 96);
    header.writeBigInt64LE(BigInt(table.length), 104);
    header.writeBigInt64LE(BigInt(dataOffset), 112);
    header.writeBigInt64LE(BigInt(end - dataOffset), 120);
    await fh.write(header, 0, header.length, 0);
    // An empty payload still needs the file to reach the end of the data area.
    await fh.truncate(Math.max(end, dataOffset));
    return { size: Math.max(end, dataOffset) };
  } catch (err) {
    if (err instanceof SregistryError) throw err;
    throw new SregistryError('LOCAL_IO', `Cannot write SIF file ${path}: ${(err as Error).message}`, { cause: err });
  } finally {
    await fh.close();
  }
}

/**
 * What a file is, judged from its first bytes, for the push's check: `sif` when it carries
 * the SIF magic at offset 32, otherwise `kind` says what it looks like instead.
 */
export async function sniffImageFile(path: string): Promise<{ sif: boolean; kind: string }> {
  let head: Buffer | undefined;
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
    const buf = Buffer.alloc(HEADER_SIZE);
    const { bytesRead } = await fh.read(buf, 0, HEADER_SIZE, 0);
    head = buf.subarray(0, bytesRead);
  } catch (err) {
    throw new SregistryError('LOCAL_IO', `Cannot read image file ${path}: ${(err as Error).message}`, { cause: err });
  } finally {
    await fh?.close();
  }
  if (head.length >= 42 && head.toString('latin1', 32, 42) === `${SIF_MAGIC}\0`)
    return { sif: true, kind: 'a SIF image' };
  return { sif: false, kind: nonSifKind(head) };
}

function nonSifKind(head: Buffer): string {
  if (head.length === 0) return 'an empty file';
  if (head.toString('latin1', 0, 4) === 'hsqs') return 'a squashfs image (a legacy Singularity .simg)';
  // A legacy image starts with a launch line and carries its file system after it.
  if (head.toString('latin1', 0, 2) === '#!') return 'a script or a legacy Singularity image with a launch line';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'a gzip file';
  const text = head.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b !== 0x7f));
  return text ? 'a text file' : 'a file without the SIF magic';
}
