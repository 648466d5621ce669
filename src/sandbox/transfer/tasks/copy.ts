import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { TaskFailure } from './failures.js';

/** Copies one file for a task: streamed, optionally throttled, never visible half-written. */

export interface CopyOptions {
  /** Bytes per second; no limit when absent. */
  rate?: number | undefined;
  verifyChecksum: boolean;
  preserveTimestamp: boolean;
  signal: AbortSignal;
  /** Bytes moved (negative when a retry starts over). */
  onBytes(count: number): void;
  /** Bytes hashed to verify a copy. */
  onChecksummed(count: number): void;
  /**
   * The checksum the submitter announced (`external_checksum`), in a node:crypto algorithm:
   * the bytes copied are hashed as they pass, and a mismatch throws `mismatch(actual)`
   * with nothing left at the destination (no retry: the source is not what was announced).
   */
  expected?: { algorithm: string; checksum: string; mismatch(actual: string): Error };
}

const CHUNK = 256 * 1024;

/** Read size: small enough under a rate limit that progress shows several times a second. */
const chunkSize = (rate?: number): number => (rate ? Math.max(1024, Math.min(CHUNK, Math.floor(rate / 8))) : CHUNK);

/** The hidden name a copy is written under, beside its destination, until it is complete. */
export const tempNameFor = (destination: string): string => join(dirname(destination), `.sbx-${randomUUID()}.partial`);

/**
 * Writes `source` to a hidden temp file beside `destination`, verifies it when asked
 * (one retry on a mismatch), then renames it into place. The rename replaces whatever
 * name is there, a dangling link included, without following it. The temp file is
 * removed on any failure or abort.
 */
export async function copyFile(source: string, destination: string, options: CopyOptions): Promise<void> {
  const sourceStat = await stat(source);
  for (let attempt = 1; ; attempt++) {
    const temp = tempNameFor(destination);
    let moved = 0;
    try {
      const hash = options.verifyChecksum ? createHash('sha256') : undefined;
      const announced = options.expected ? createHash(options.expected.algorithm) : undefined;
      const meter = new Meter(options.rate, [hash, announced], options.signal, (n) => {
        moved += n;
        options.onBytes(n);
      });
      await pipeline(
        createReadStream(source, { highWaterMark: chunkSize(options.rate) }),
        meter,
        createWriteStream(temp, { flags: 'wx', mode: sourceStat.mode & 0o777 }),
        { signal: options.signal },
      );
      if (announced && options.expected) {
        options.onChecksummed(moved);
        const actual = announced.digest('hex');
        if (actual !== options.expected.checksum) throw options.expected.mismatch(actual);
      }
      if (hash) {
        const written = await hashFile(temp, options.signal);
        options.onChecksummed(moved);
        if (written !== hash.digest('hex')) {
          if (attempt < 2) {
            await rm(temp, { force: true });
            options.onBytes(-moved);
            continue;
          }
          throw new TaskFailure('VERIFY_CHECKSUM', `Checksum verification failed for ${destination}`);
        }
      }
      if (options.preserveTimestamp) await utimes(temp, sourceStat.atime, sourceStat.mtime);
      await rename(temp, destination);
      return;
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }
}

/** SHA-256 of a file, streamed. */
export const hashFile = (path: string, signal: AbortSignal): Promise<string> => digestFile(path, 'sha256', signal);

/** A file's digest in a node:crypto algorithm, hex, streamed. */
export async function digestFile(path: string, algorithm: string, signal: AbortSignal): Promise<string> {
  const hash = createHash(algorithm);
  await pipeline(createReadStream(path, { highWaterMark: CHUNK }), hash, { signal });
  return hash.digest('hex');
}

/** Counts (and hashes) bytes as they pass; under a rate, holds each chunk until it is due. */
class Meter extends Transform {
  readonly #started = Date.now();
  #passed = 0;

  constructor(
    private readonly rate: number | undefined,
    private readonly hashes: ReadonlyArray<Hash | undefined>,
    private readonly signal: AbortSignal,
    private readonly onBytes: (count: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    for (const h of this.hashes) h?.update(chunk);
    this.#passed += chunk.length;
    const due = this.rate ? this.#started + (this.#passed / this.rate) * 1000 - Date.now() : 0;
    if (due <= 0) {
      this.onBytes(chunk.length);
      done(null, chunk);
      return;
    }
    sleep(due, undefined, { signal: this.signal }).then(
      () => {
        this.onBytes(chunk.length);
        done(null, chunk);
      },
      (err: unknown) => done(err as Error),
    );
  }
}
