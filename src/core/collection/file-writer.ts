import type { FileHandle } from 'node:fs/promises';
import { SregistryError, isSregistryError } from '../errors.js';
import { sharedBuffer, type Digest } from './digest.js';

/** Size of each of the two staging buffers: the size of every write but the last. */
const STAGE = 4 * 1024 * 1024;
/** The smallest stage, for bodies known to be small (manifests). */
const MIN_STAGE = 16 * 1024;
/** A push leaving less room than this while the other buffer is still being written asks the caller to wait. */
const HEADROOM = 512 * 1024;
/**
 * After this many bytes written, a flush to disk starts in the background. The caller
 * flushes the finished file before publishing it; flushing as the bytes come spreads that
 * work over the download instead of paying for the whole file at the end.
 */
const FLUSH_EVERY = 64 * 1024 * 1024;

/**
 * Writes received bytes to an open file at increasing positions through two staging
 * buffers taken in turn: pieces are copied into one while the other is on its way to
 * disk, so the disk gets few large writes, the network and the disk overlap, memory stays
 * at two buffers, and callers may reuse a piece as soon as `push` returns. With a digest,
 * each buffer is hashed as it goes to disk (on a worker thread for a shared digest, which
 * reads the buffer in place), so the digest sees the bytes in file order.
 */
export class PositionedWriter {
  readonly #handle: FileHandle;
  readonly #path: string;
  readonly #digest: Digest | undefined;
  #position: number;
  #stages: Buffer[] | undefined;
  #turn = 0;
  #filled = 0;
  #inFlight: Promise<void> | undefined;
  #error: SregistryError | undefined;
  #unflushed = 0;
  #flushing: Promise<void> | undefined;

  readonly #stageSize: number;

  /** `expected`: how many bytes will come, when known; stages are no larger than that. */
  constructor(handle: FileHandle, path: string, position: number, expected?: number, digest?: Digest) {
    this.#handle = handle;
    this.#path = path;
    this.#position = position;
    this.#stageSize = expected === undefined ? STAGE : Math.max(MIN_STAGE, Math.min(STAGE, expected));
    this.#digest = digest;
  }

  /**
   * Copies `piece`; answers a promise when the caller should wait for it before pushing
   * more. Throws LOCAL_IO once a write failed.
   */
  push(piece: Uint8Array): Promise<void> | undefined {
    if (this.#error) throw this.#error;
    const allocate = this.#digest?.shared ? sharedBuffer : Buffer.allocUnsafe;
    const stages = (this.#stages ??= [allocate(this.#stageSize), allocate(this.#stageSize)]);
    let offset = 0;
    while (offset < piece.length) {
      const stage = stages[this.#turn]!;
      const n = Math.min(stage.length - this.#filled, piece.length - offset);
      stage.set(piece.subarray(offset, offset + n), this.#filled);
      this.#filled += n;
      offset += n;
      if (this.#filled < stage.length) break;
      if (this.#inFlight) {
        // Both buffers are full: keep the rest of the piece (the caller may reuse it) and wait.
        const rest = Buffer.from(piece.subarray(offset));
        return this.#inFlight.then(() => {
          if (this.#error) throw this.#error;
          this.#flip();
          return this.push(rest);
        });
      }
      this.#flip();
    }
    if (this.#inFlight && this.#stageSize - this.#filled < Math.min(HEADROOM, this.#stageSize / 2)) {
      return this.#inFlight.then(() => {
        if (this.#error) throw this.#error;
      });
    }
    return undefined;
  }

  /** Waits until every pushed byte is written (and any background flush has ended). */
  async drain(): Promise<void> {
    if (this.#inFlight) await this.#inFlight;
    if (this.#error) throw this.#error;
    if (this.#filled > 0) {
      this.#flip();
      await this.#inFlight;
    }
    await this.#flushing;
    if (this.#error) throw this.#error;
  }

  /** One background flush at a time; a failed one is left to the final flush of the caller to report. */
  #flushSoon(): void {
    if (this.#flushing || this.#unflushed < FLUSH_EVERY) return;
    this.#unflushed = 0;
    this.#flushing = this.#handle.datasync().then(
      () => {
        this.#flushing = undefined;
      },
      () => {
        this.#flushing = undefined;
      },
    );
  }

  /** Starts writing the current stage and turns to the other one (which must be free). */
  #flip(): void {
    const stage = this.#stages![this.#turn]!;
    const length = this.#filled;
    const at = this.#position;
    this.#position += length;
    this.#turn ^= 1;
    this.#filled = 0;
    const written = writeAll(this.#handle, stage, length, at).catch((err: unknown) => {
      throw new SregistryError(
        'LOCAL_IO',
        `Writing ${this.#path} failed: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    });
    // Never rejects: a failure is kept and thrown by the next push or drain.
    this.#inFlight = Promise.all([written, this.#digest?.update(stage.subarray(0, length))]).then(
      () => {
        this.#inFlight = undefined;
        this.#unflushed += length;
        this.#flushSoon();
      },
      (err: unknown) => {
        this.#inFlight = undefined;
        this.#error = isSregistryError(err)
          ? err
          : new SregistryError('LOCAL_IO', `Hashing ${this.#path} failed: ${String(err)}`, { cause: err });
      },
    );
  }
}

async function writeAll(handle: FileHandle, buffer: Buffer, length: number, position: number): Promise<void> {
  let done = 0;
  // A short write (rare on regular files) is continued where it stopped.
  while (done < length) {
    const { bytesWritten } = await handle.write(buffer, done, length - done, position + done);
    done += bytesWritten;
  }
}
