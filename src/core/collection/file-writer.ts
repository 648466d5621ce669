import type { FileHandle } from 'node:fs/promises';
import { SregistryError } from '../errors.js';

/** How much received data may wait while the previous write is still on its way. */
const HIGH_WATER = 4 * 1024 * 1024;

/**
 * Writes received chunks to an open file at increasing positions, one write at a time,
 * batching whatever arrives meanwhile. Reading the network and writing the disk overlap,
 * and at most about 2 × HIGH_WATER bytes are held in memory.
 */
export class PositionedWriter {
  readonly #handle: FileHandle;
  readonly #path: string;
  #position: number;
  #queued: Buffer[] = [];
  #queuedBytes = 0;
  #inFlight: Promise<void> | undefined;
  #error: SregistryError | undefined;

  constructor(handle: FileHandle, path: string, position: number) {
    this.#handle = handle;
    this.#path = path;
    this.#position = position;
  }

  /** Queues a chunk; waits only when too much is queued. Throws LOCAL_IO once a write failed. */
  async push(chunk: Buffer): Promise<void> {
    if (this.#error) throw this.#error;
    this.#queued.push(chunk);
    this.#queuedBytes += chunk.length;
    if (!this.#inFlight) this.#start();
    else if (this.#queuedBytes >= HIGH_WATER) {
      await this.#inFlight;
      if (this.#error) throw this.#error;
      this.#start();
    }
  }

  /** Waits until every queued chunk is on disk. */
  async drain(): Promise<void> {
    while (this.#inFlight || this.#queuedBytes > 0) {
      if (this.#inFlight) await this.#inFlight;
      if (this.#error) throw this.#error;
      if (this.#queuedBytes > 0) this.#start();
    }
    if (this.#error) throw this.#error;
  }

  #start(): void {
    const buffers = this.#queued;
    const length = this.#queuedBytes;
    const at = this.#position;
    this.#queued = [];
    this.#queuedBytes = 0;
    this.#position += length;
    // Never rejects: a failure is kept and thrown by the next push or drain.
    this.#inFlight = writeAll(this.#handle, buffers, length, at).then(
      () => {
        this.#inFlight = undefined;
      },
      (err: unknown) => {
        this.#inFlight = undefined;
        this.#error = new SregistryError('LOCAL_IO', `Writing ${this.#path} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      },
    );
  }
}

async function writeAll(handle: FileHandle, buffers: Buffer[], length: number, position: number): Promise<void> {
  const { bytesWritten } = await handle.writev(buffers, position);
  if (bytesWritten === length) return;
  // A short write (rare on regular files): send the rest in one piece.
  const rest = Buffer.concat(buffers, length).subarray(bytesWritten);
  let done = 0;
  while (done < rest.length) {
    const { bytesWritten: n } = await handle.write(rest, done, rest.length - done, position + bytesWritten + done);
    done += n;
  }
}
