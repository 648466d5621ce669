/**
 * Checks the signatures of a SIF as sylabs/sif's integrity package (Apptainer) writes them:
 * current group signatures (a clear-signed JSON of the digests of the header, and of each
 * object of the group and its descriptor) and legacy ones (Singularity before 3.6: a
 * clear-signed "SIFHASH:" digest of a group's data, or of one object's).
 *
 * `SifVerifier` consumes the file as it streams past, in order (`onChunk`, or `onShared`
 * for a download's write stages in shared memory): the header and descriptor table come
 * first, so it knows early which byte ranges the signatures cover and hashes each as it
 * goes by (once, however many signatures cover it; a large image on a worker thread,
 * which reads shared stages in place); the signature objects themselves (small, at the
 * end) are kept. `finish` then checks the OpenPGP signatures and compares the digests. What
 * the stream could not cover (a digest algorithm other than SHA-256, a legacy digest over
 * several objects) is read again through the `reread` the caller gives.
 */
import { createHash, type Hash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { SregistryError } from '../errors.js';
import { HEADER_SIZE } from '../sif.js';
import { fingerprintOf, readClearSigned, userIdOf, type Keyring } from './openpgp.js';
import { RangeHashWorker } from './range-hash.js';
import {
  descriptorIntegrityBytes,
  groupMinId,
  headerIntegrityBytes,
  isSignature,
  layoutProblem,
  parseLayout,
  SIF_HASHES,
  signatureMeta,
  signedBy,
  tableEnd,
  type SifLayout,
  type SifObject,
} from './sif-objects.js';

/** One signature: `verified` (the keyring's key signed these bytes), `unchecked` (no keyring: the digests match, the signer is not known), `untrusted` (the digests match, the signer is not in the keyring) or `invalid`. */
export type SignatureStatus = 'verified' | 'unchecked' | 'untrusted' | 'invalid';
/** The image: its worst signature's status, or `unsigned` when it has none. */
export type ImageSignatureStatus = SignatureStatus | 'unsigned';

export interface SignatureCheck {
  /** The signature object's id in the SIF. */
  object: number;
  kind: 'group' | 'legacy-group' | 'legacy-object';
  /** The object group it signs (group kinds). */
  group?: number;
  /** Ids of the objects it covers. */
  objects: number[];
  /** The signer's fingerprint, 40 uppercase hex. */
  fingerprint?: string;
  /**
   * True only when a key of the keyring made the signature: otherwise the fingerprint is
   * what the image's own descriptor or signature packet claims, which anyone can write.
   */
  fingerprintProven: boolean;
  /** The signer's user id, when the keyring knows the key. */
  userId?: string;
  status: SignatureStatus;
  /** Why it is not `verified`. */
  reason?: string;
}

export interface SignatureReport {
  status: ImageSignatureStatus;
  signatures: SignatureCheck[];
  /** Data objects (not signatures), grouped or not, that no signature covers. */
  unsigned: number[];
  /** False when the file is not a SIF (it then has no signature). */
  sif: boolean;
  /** Set when the image has signature objects but a descriptor table that cannot be trusted (then `status` is `invalid`). */
  problem?: string;
  /** Set when bytes a check needed could not be read (a short read): its verdict is not on the image's bytes. */
  unread?: true;
}

/** Bytes the verifier hashed, kept (signature objects) and copied to assemble the header and table: bounded by the file, not by its table. */
export interface VerifierWork {
  hashed: number;
  kept: number;
  copied: number;
}

/** Reads `length` bytes from `offset` of the same file again. */
export type RangeReader = (offset: number, length: number) => AsyncIterable<Uint8Array>;

/** Signature objects are a few KiB; one larger than this is not read. */
const MAX_SIGNATURE_BYTES = 1024 * 1024;
/** An image with more signature objects than this, or more signature bytes, is refused unread. */
export const MAX_SIGNATURES = 64;
const MAX_SIGNATURES_BYTES = 4 * 1024 * 1024;
/** The header and descriptor table are read from the front; one reaching past this is not a SIF to us. */
const MAX_FRONT_BYTES = 16 * 1024 * 1024;

/** From this many signed bytes on, they are hashed on a worker thread (below, its start costs more than it saves). */
const OFF_THREAD_MIN_BYTES = 64 * 1024 * 1024;

/** Digest names in the signed JSON → Node hash names. */
const JSON_DIGESTS: Record<string, string> = {
  sha224: 'sha224',
  sha256: 'sha256',
  sha384: 'sha384',
  sha512: 'sha512',
  sha512_224: 'sha512-224',
  sha512_256: 'sha512-256',
};
const DIGEST_BYTES: Record<string, number> = {
  sha224: 28,
  sha256: 32,
  sha384: 48,
  sha512: 64,
  'sha512-224': 28,
  'sha512-256': 32,
};

interface Range {
  start: number;
  end: number;
  seen: number;
  hash?: Hash;
  sha256?: string;
  bytes?: Buffer[];
}

export class SifVerifier {
  readonly #keyring: Keyring;
  readonly #fileSize: number | undefined;
  #next = 0;
  #front: Buffer[] = [];
  #frontBytes = 0;
  /** Where the descriptor table ends, once the header is in. */
  #frontEnd: number | undefined;
  #layout: SifLayout | undefined;
  #problem: string | undefined;
  readonly #work: VerifierWork = { hashed: 0, kept: 0, copied: 0 };
  /** Decided: not a SIF, or a SIF without signatures (nothing more to read). */
  #settled = false;
  #sif = false;
  #ranges = new Map<number, Range>();
  #worker: RangeHashWorker | undefined;
  /** A hashing thread started before the table is known, taken by #tryLayout or closed. */
  #spare: RangeHashWorker | undefined;

  /** `fileSize`: the size the file will have (a manifest's), when known; objects must lie inside it. */
  constructor(keyring: Keyring, fileSize?: number) {
    this.#keyring = keyring;
    this.#fileSize = fileSize;
    // With a keyring, a large image is expected to be signed: its hashing thread starts now,
    // while the request goes out, instead of holding the first bytes while it starts.
    if (!keyring.empty && fileSize !== undefined && fileSize >= OFF_THREAD_MIN_BYTES)
      this.#spare = new RangeHashWorker();
  }

  get work(): Readonly<VerifierWork> {
    return { ...this.#work };
  }

  /** False once the rest of the file can change nothing (not a SIF, or no signature): a reader may stop. */
  get wantsMore(): boolean {
    return !this.#settled;
  }

  /**
   * The next bytes of the file, from `offset`. Chunks come in order; offset 0 again
   * starts over (a download that began anew). The chunk is not kept: it may be reused
   * once this returns.
   */
  onChunk(chunk: Uint8Array, offset: number): void {
    void this.#take(chunk, offset, false);
  }

  /**
   * As `onChunk`, for a view of SharedArrayBuffer memory (a download's write stage): the
   * hashing thread reads it in place, and the bytes must stay as they are until the
   * promise, if one is returned, settles (it never rejects). Other memory is taken as
   * `onChunk` takes it.
   */
  onShared(chunk: Uint8Array, offset: number): Promise<void> | undefined {
    return this.#take(chunk, offset, chunk.buffer instanceof SharedArrayBuffer);
  }

  #take(chunk: Uint8Array, offset: number, shared: boolean): Promise<void> | undefined {
    if (offset === 0 && this.#next > 0) this.#reset();
    if (offset !== this.#next)
      throw new SregistryError(
        'INVALID_INPUT',
        `Signature check got bytes from ${offset} while expecting ${this.#next}`,
      );
    this.#next += chunk.byteLength;
    if (this.#settled) return undefined;
    if (!this.#layout) {
      // The first piece is read where it lies: a download's first stage (4 MiB) usually
      // holds the whole table, and most images are then settled or laid out without a copy.
      const borrowed = this.#front.length === 0;
      this.#front.push(borrowed ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : this.#copy(chunk));
      this.#frontBytes += chunk.byteLength;
      if (!this.#tryLayout()) {
        // Still undecided: keep a copy, as the piece's memory is reused once this returns.
        if (borrowed && !this.#settled) this.#front = [this.#copy(chunk)];
        return undefined;
      }
      // The bytes before this chunk exist only as the copies kept while the table came in.
      if (offset > 0) this.#feed(this.#joinFront().subarray(0, offset), 0, false);
      this.#front = [];
    }
    return this.#feed(chunk, offset, shared);
  }

  #copy(chunk: Uint8Array): Buffer {
    this.#work.copied += chunk.byteLength;
    return Buffer.from(chunk);
  }

  #reset(): void {
    this.#next = 0;
    this.#front = [];
    this.#frontBytes = 0;
    this.#frontEnd = undefined;
    this.#layout = undefined;
    this.#problem = undefined;
    this.#settled = false;
    this.#sif = false;
    this.#ranges.clear();
    void this.#worker?.close();
    this.#worker = undefined;
  }

  /** Frees the hashing thread, if one was started; call it when the stream is abandoned (finish does it too). */
  async close(): Promise<void> {
    const workers = [this.#worker, this.#spare];
    this.#worker = this.#spare = undefined;
    await Promise.all(workers.map((w) => w?.close()));
  }

  #dropSpare(): void {
    void this.#spare?.close();
    this.#spare = undefined;
  }

  /** Joins the chunks kept so far (done only when the header, then the whole table, is in: never once per chunk). */
  #joinFront(): Buffer {
    if (this.#front.length > 1) {
      this.#front = [Buffer.concat(this.#front)];
      this.#work.copied += this.#frontBytes;
    }
    return this.#front[0] ?? Buffer.alloc(0);
  }

  /** True when the layout is known now (the kept front is then still there, for the caller). */
  #tryLayout(): boolean {
    if (this.#frontBytes < HEADER_SIZE) return false;
    if (this.#frontEnd === undefined) {
      const end = tableEnd(this.#joinFront().subarray(0, HEADER_SIZE));
      if (end === undefined || end > MAX_FRONT_BYTES) return this.#settle();
      this.#sif = true;
      this.#frontEnd = end;
    }
    if (this.#frontBytes < this.#frontEnd) return false;
    const front = this.#joinFront();
    const layout = parseLayout(front);
    if (!layout) return this.#settle();
    const sigs = layout.objects.filter(isSignature);
    if (sigs.length === 0) return this.#settle();
    const problem = layoutProblem(layout, this.#fileSize) ?? signaturesProblem(sigs);
    if (problem) {
      this.#problem = problem;
      return this.#settle();
    }
    this.#layout = layout;
    // Only what some signature covers is hashed; the rest is reported unsigned.
    const covered = new Map(sigs.flatMap((sig) => signedBy(layout, sig)).map((o) => [o.id, o]));
    const data = [...covered.values()];
    const offThread = data.reduce((n, o) => n + o.size, 0) >= OFF_THREAD_MIN_BYTES;
    const ranges = data.map((o) => ({ id: o.id, start: o.offset, end: o.offset + o.size }));
    if (offThread && this.#spare) {
      this.#worker = this.#spare;
      this.#spare = undefined;
      this.#worker.setRanges(ranges);
    } else if (offThread) {
      this.#worker = new RangeHashWorker(ranges, 0);
    }
    this.#dropSpare();
    for (const o of sigs)
      this.#ranges.set(o.id, {
        start: o.offset,
        end: o.offset + o.size,
        seen: 0,
        ...(o.size <= MAX_SIGNATURE_BYTES ? { bytes: [] } : {}),
      });
    if (!offThread)
      for (const o of data)
        this.#ranges.set(o.id, { start: o.offset, end: o.offset + o.size, seen: 0, hash: createHash('sha256') });
    return true;
  }

  #settle(): false {
    this.#settled = true;
    this.#front = [];
    this.#dropSpare();
    return false;
  }

  /** Hashes and keeps what falls in the ranges; shared memory goes to the worker in place. */
  #feed(chunk: Uint8Array, offset: number, shared: boolean): Promise<void> | undefined {
    let pending: Promise<void> | undefined;
    if (this.#worker) {
      if (shared) pending = this.#worker.hashShared(chunk);
      else this.#worker.push(chunk);
    }
    const end = offset + chunk.byteLength;
    for (const r of this.#ranges.values()) {
      const from = Math.max(r.start + r.seen, offset);
      const to = Math.min(r.end, end);
      if (from >= to || from !== r.start + r.seen) continue;
      const piece = chunk.subarray(from - offset, to - offset);
      if (r.hash) {
        r.hash.update(piece);
        this.#work.hashed += piece.byteLength;
      }
      if (r.bytes) {
        r.bytes.push(Buffer.from(piece));
        this.#work.kept += piece.byteLength;
      }
      r.seen += piece.byteLength;
    }
    return pending;
  }

  /** Checks every signature; `reread` fills in what the stream could not cover. */
  async finish(reread?: RangeReader): Promise<SignatureReport> {
    this.#dropSpare();
    if (!this.#layout && !this.#settled && this.#tryLayout()) {
      this.#feed(this.#joinFront(), 0, false);
      this.#front = [];
    }
    const layout = this.#layout;
    if (this.#problem) return { status: 'invalid', signatures: [], unsigned: [], sif: true, problem: this.#problem };
    if (!layout) return { status: 'unsigned', signatures: [], unsigned: [], sif: this.#sif };
    if (this.#worker) {
      // The thread's digests of the objects it saw whole; the others are read again.
      const digests = await this.#worker.digests();
      await this.close();
      for (const o of layout.objects) {
        const sha256 = digests.get(o.id);
        if (sha256 !== undefined && !isSignature(o))
          this.#ranges.set(o.id, { start: o.offset, end: o.offset + o.size, seen: o.size, sha256 });
      }
    }
    const data = new ObjectData(layout, this.#ranges, reread);
    const signatures: SignatureCheck[] = [];
    for (const sig of layout.objects.filter(isSignature))
      signatures.push(await checkSignature(layout, sig, data, this.#keyring));
    const covered = new Set(signatures.flatMap((s) => s.objects));
    const unsigned = layout.objects.filter((o) => !isSignature(o) && !covered.has(o.id)).map((o) => o.id);
    return { status: worst(signatures), signatures, unsigned, sif: true, ...(data.unread ? { unread: true } : {}) };
  }
}

function signaturesProblem(sigs: SifObject[]): string | undefined {
  if (sigs.length > MAX_SIGNATURES)
    return `it has ${sigs.length} signature objects, more than the ${MAX_SIGNATURES} this client checks`;
  const bytes = sigs.reduce((n, o) => n + o.size, 0);
  if (bytes > MAX_SIGNATURES_BYTES)
    return `its signature objects hold ${bytes} bytes, more than the ${MAX_SIGNATURES_BYTES} this client reads`;
  return undefined;
}

const ORDER: ImageSignatureStatus[] = ['invalid', 'untrusted', 'unchecked', 'verified'];
function worst(checks: SignatureCheck[]): ImageSignatureStatus {
  if (checks.length === 0) return 'unsigned';
  return ORDER.find((s) => checks.some((c) => c.status === s)) ?? 'verified';
}

/** Object bytes and digests: streamed SHA-256 where the stream saw the whole object, else read again. */
class ObjectData {
  constructor(
    readonly layout: SifLayout,
    readonly ranges: Map<number, Range>,
    readonly reread: RangeReader | undefined,
  ) {}

  /** Some bytes asked for could not be read. */
  unread = false;

  #whole(o: SifObject): Range | undefined {
    const r = this.ranges.get(o.id);
    return r && r.seen === o.size ? r : undefined;
  }

  async bytes(o: SifObject): Promise<Buffer | undefined> {
    const r = this.#whole(o);
    if (r?.bytes) return Buffer.concat(r.bytes);
    if (o.size > MAX_SIGNATURE_BYTES) return undefined;
    if (!this.reread) return this.#missed();
    const parts: Buffer[] = [];
    for await (const c of this.reread(o.offset, o.size)) parts.push(Buffer.from(c));
    const all = Buffer.concat(parts);
    return all.length === o.size ? all : this.#missed();
  }

  #missed(): undefined {
    this.unread = true;
    return undefined;
  }

  /** The digest (hex) of the objects' data one after the other; undefined when the bytes are not at hand. */
  async digest(algorithm: string, objects: SifObject[]): Promise<string | undefined> {
    if (algorithm === 'sha256' && objects.length === 1) {
      const r = this.#whole(objects[0]!);
      if (r?.sha256 !== undefined) return r.sha256;
      if (r?.hash) return (r.sha256 = r.hash.digest('hex'));
    }
    if (!this.reread) return this.#missed();
    const hash = createHash(algorithm);
    for (const o of objects) {
      let got = 0;
      for await (const c of this.reread(o.offset, o.size)) {
        hash.update(c);
        got += c.byteLength;
      }
      if (got !== o.size) return this.#missed();
    }
    return hash.digest('hex');
  }
}

const LEGACY_PREFIX = 'SIFHASH:\n';

async function checkSignature(
  layout: SifLayout,
  sig: SifObject,
  data: ObjectData,
  keyring: Keyring,
): Promise<SignatureCheck> {
  const meta = signatureMeta(sig);
  const covered = signedBy(layout, sig);
  const check: SignatureCheck = {
    object: sig.id,
    kind: sig.linksGroup ? 'group' : 'legacy-object',
    ...(sig.linksGroup ? { group: sig.linkedId } : {}),
    objects: covered.map((o) => o.id),
    ...(meta.fingerprint ? { fingerprint: meta.fingerprint } : {}),
    fingerprintProven: false,
    status: 'invalid',
  };
  const invalid = (reason: string): SignatureCheck => ({ ...check, status: 'invalid', reason });
  if (covered.length === 0)
    return invalid(
      sig.linksGroup
        ? `it signs object group ${sig.linkedId}, which the image does not have`
        : `it signs object ${sig.linkedId}, which the image does not have`,
    );

  const armored = await data.bytes(sig);
  if (!armored) return invalid('its signature object could not be read');
  const message = await readClearSigned(armored.toString('utf8'));
  if (typeof message === 'string') return invalid(message);
  const legacy = message.text.startsWith(LEGACY_PREFIX);
  if (legacy && sig.linksGroup) check.kind = 'legacy-group';

  // Who signed: the keyring's key for the signature's key id, checked cryptographically.
  let keyStatus: SignatureStatus = 'unchecked';
  let keyReason: string | undefined;
  const key = keyring.empty ? undefined : keyring.find(message.keyIds);
  if (key) {
    const fingerprint = fingerprintOf(key);
    check.fingerprint ??= fingerprint;
    const userId = await userIdOf(key);
    if (userId) check.userId = userId;
    if (meta.fingerprint && meta.fingerprint !== fingerprint)
      return invalid(
        `the fingerprint in its descriptor (${meta.fingerprint}) is not that of the key that signed it (${fingerprint})`,
      );
    const verdict = await message.check(key);
    if (verdict !== true) return invalid(`the OpenPGP signature does not hold: ${verdict}`);
    keyStatus = 'verified';
    check.fingerprintProven = true;
  } else {
    if (meta.fingerprint && message.issuerFingerprint && meta.fingerprint !== message.issuerFingerprint) {
      return invalid(
        `the fingerprint in its descriptor (${meta.fingerprint}) is not the one in the signature (${message.issuerFingerprint})`,
      );
    }
    const fingerprint = check.fingerprint ?? message.issuerFingerprint;
    if (fingerprint) check.fingerprint = fingerprint;
    else delete check.fingerprint;
    if (!keyring.empty) {
      keyStatus = 'untrusted';
      keyReason = `its signer (${check.fingerprint ?? `key id ${message.keyIds.join(', ').toUpperCase()}`}) is not in the keyring`;
    } else {
      keyReason =
        'no keyring was given, so the signer was not checked and its fingerprint is only what the image claims';
    }
  }

  const integrity = legacy
    ? await checkLegacy(message.text, meta.hashType, covered, data)
    : sig.linksGroup
      ? await checkCurrent(layout, sig.linkedId, message.text, covered, data)
      : 'a signature of one object must be a legacy one';
  if (integrity !== true) return invalid(integrity);
  return { ...check, status: keyStatus, ...(keyReason ? { reason: keyReason } : {}) };
}

function parseDigest(value: unknown): { algorithm: string; hex: string } | undefined {
  if (typeof value !== 'string') return undefined;
  const [name, hex, extra] = value.split(':');
  const algorithm = name === undefined ? undefined : JSON_DIGESTS[name];
  if (
    !algorithm ||
    hex === undefined ||
    extra !== undefined ||
    !/^[0-9a-f]*$/i.test(hex) ||
    hex.length !== DIGEST_BYTES[algorithm]! * 2
  )
    return undefined;
  return { algorithm, hex: hex.toLowerCase() };
}

const digestOf = (algorithm: string, bytes: Buffer): string => createHash(algorithm).update(bytes).digest('hex');

/** The signed JSON against the image: true, or why not. */
async function checkCurrent(
  layout: SifLayout,
  groupId: number,
  text: string,
  objects: SifObject[],
  data: ObjectData,
): Promise<true | string> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return 'its signed text is not the JSON of digests a SIF signature holds';
  }
  const d = doc as { version?: unknown; header?: { digest?: unknown }; objects?: unknown };
  if (typeof doc !== 'object' || doc === null || d.version !== 1 || !Array.isArray(d.objects))
    return 'its signed text is not version 1 of the SIF signature JSON';
  const minId = groupMinId(layout, groupId)!;
  const header = parseDigest(d.header?.digest);
  if (!header) return 'its header digest is malformed';
  const signed = new Map<
    number,
    { descriptor: { algorithm: string; hex: string }; object: { algorithm: string; hex: string } }
  >();
  for (const entry of d.objects as Array<Record<string, unknown>>) {
    const rel = entry?.relativeId;
    const descriptor = parseDigest(entry?.descriptorDigest);
    const object = parseDigest(entry?.objectDigest);
    if (typeof rel !== 'number' || !Number.isInteger(rel) || rel < 0 || !descriptor || !object)
      return 'an object entry of its signed JSON is malformed';
    signed.set(minId + rel, { descriptor, object });
  }
  // The signed objects must be exactly the group's: none added to it since, none taken away.
  for (const o of objects)
    if (!signed.has(o.id)) return `object ${o.id} of group ${groupId} is not signed (it was added after signing)`;
  if (signed.size !== objects.length) return `an object it signed is no longer in group ${groupId}`;
  if (digestOf(header.algorithm, headerIntegrityBytes(layout.header)) !== header.hex)
    return 'the SIF header was changed after signing';
  for (const o of objects) {
    const entry = signed.get(o.id)!;
    const relative = o.id - layout.minIds.get(o.rawGroup)!;
    if (digestOf(entry.descriptor.algorithm, descriptorIntegrityBytes(o, relative)) !== entry.descriptor.hex)
      return `the descriptor of object ${o.id} was changed after signing`;
    const got = await data.digest(entry.object.algorithm, [o]);
    if (got === undefined) return `object ${o.id} could not be read to check it`;
    if (got !== entry.object.hex) return `object ${o.id} was changed after signing`;
  }
  return true;
}

async function checkLegacy(
  text: string,
  hashType: number,
  objects: SifObject[],
  data: ObjectData,
): Promise<true | string> {
  const algorithm = SIF_HASHES[hashType];
  if (!algorithm) return `its hash type ${hashType} is not one this client checks`;
  const hex = text.slice(LEGACY_PREFIX.length).replace(/\n$/, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(hex) || hex.length !== DIGEST_BYTES[algorithm]! * 2) return 'its signed digest is malformed';
  const got = await data.digest(algorithm, objects);
  if (got === undefined) return 'the objects it signs could not be read to check them';
  return got === hex
    ? true
    : `the objects it signs (${objects.map((o) => o.id).join(', ')}) were changed after signing`;
}

/** Positioned reads of `path`, for `finish`. */
export function fileRanges(path: string): RangeReader {
  return async function* read(offset: number, length: number) {
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.allocUnsafe(Math.min(length, 1024 * 1024));
      let done = 0;
      while (done < length) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, length - done), offset + done);
        if (bytesRead === 0) return;
        yield buf.subarray(0, bytesRead);
        done += bytesRead;
      }
    } finally {
      await fh.close();
    }
  };
}

/** Checks the signatures of a file on disk, reading it once from the front (and no further than needed). */
export async function verifySifFile(path: string, keyring: Keyring, signal?: AbortSignal): Promise<SignatureReport> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw new SregistryError('LOCAL_IO', `Cannot open ${path} to check its signatures: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const verifier = new SifVerifier(
    keyring,
    await fh.stat().then(
      (st) => st.size,
      () => undefined,
    ),
  );
  // The verifier may hold a hashing thread from its start: closed however the check ends.
  try {
    try {
      const buf = Buffer.allocUnsafe(1024 * 1024);
      let offset = 0;
      while (verifier.wantsMore) {
        signal?.throwIfAborted();
        const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
        if (bytesRead === 0) break;
        verifier.onChunk(buf.subarray(0, bytesRead), offset);
        offset += bytesRead;
      }
    } finally {
      await fh.close();
    }
    return await verifier.finish(fileRanges(path));
  } finally {
    await verifier.close();
  }
}
