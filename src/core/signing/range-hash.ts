/**
 * SHA-256 of byte ranges of a file that streams past, on a worker thread: the signed
 * objects of a large SIF are hashed beside the download instead of on the thread that
 * reads the socket, and beside the hash of the whole file (its own thread), so where a
 * core is free the two overlap.
 *
 * Two ways in, in file order, mixed freely:
 * - `hashShared`: a view of SharedArrayBuffer memory the worker reads in place (a
 *   download's write stages): no copy; the promise settles when the worker is done with
 *   it, and the caller keeps the bytes as they are until then (a download's writer turns
 *   to a stage only once the file's hash and this worker are done with it).
 * - `push`: any chunk, copied into a few shared slots of this class (for readers that
 *   reuse their buffer once the call returns); a slot the worker has not finished yet
 *   makes the caller wait (Atomics.wait), which bounds memory without turning the
 *   synchronous `push` into an asynchronous one.
 */
import { Worker } from 'node:worker_threads';

const SLOT = 4 * 1024 * 1024;
const SLOTS = 4;
/** A slot the worker has not released within this long means it is gone; the caller then reads the file again. */
const WAIT_MS = 60_000;

export interface HashRange {
  id: number;
  start: number;
  end: number;
}

// The worker: one SHA-256 per range, fed the parts of each piece of memory that fall in it.
// A piece from a slot is released through its flag, a piece of the caller's with a message.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { ranges, state } = workerData;
const flags = new Int32Array(state);
const start = (list) => list.map((r) => ({ ...r, hash: createHash('sha256'), seen: 0 }));
let hashes = start(ranges);
parentPort.on('message', (m) => {
  if (m.op === 'ranges') {
    hashes = start(m.ranges);
  } else if (m.op === 'chunk') {
    const view = new Uint8Array(m.buffer, m.offset, m.length);
    const end = m.position + m.length;
    for (const r of hashes) {
      const from = Math.max(r.start + r.seen, m.position);
      const to = Math.min(r.end, end);
      if (from >= to || from !== r.start + r.seen) continue;
      r.hash.update(view.subarray(from - m.position, to - m.position));
      r.seen += to - from;
    }
    if (m.slot === undefined) {
      parentPort.postMessage(null);
    } else {
      Atomics.store(flags, m.slot, 0);
      Atomics.notify(flags, m.slot);
    }
  } else {
    parentPort.postMessage(hashes.filter((r) => r.seen === r.end - r.start).map((r) => [r.id, r.hash.digest('hex')]));
  }
});
`;

export class RangeHashWorker {
  readonly #worker: Worker;
  /** Made on the first `push`: a reader that only hands shared memory needs none. */
  #slots: SharedArrayBuffer[] | undefined;
  readonly #flags: Int32Array;
  #slot = 0;
  #filled = 0;
  #position = 0;
  #failed = false;
  #answer: Promise<Map<number, string>> | undefined;
  /** Releases of shared pieces still to come, in the order they went. */
  readonly #released: Array<() => void> = [];

  /** Without ranges the thread starts idle (its start then overlaps something else); `setRanges` gives them before any bytes. */
  constructor(ranges: HashRange[] = [], position = 0) {
    const state = new SharedArrayBuffer(4 * SLOTS);
    this.#flags = new Int32Array(state);
    this.#position = position;
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ranges, state } });
    this.#worker.unref();
    this.#worker.on('message', (m: unknown) => {
      if (m === null) this.#released.shift()?.();
    });
    const gone = (): void => {
      this.#failed = true;
      // The caller's memory is free again: nothing will read it now.
      for (const release of this.#released.splice(0)) release();
    };
    this.#worker.on('error', gone);
    this.#worker.on('exit', gone);
  }

  setRanges(ranges: HashRange[]): void {
    if (!this.#failed) this.#worker.postMessage({ op: 'ranges', ranges });
  }

  /** The next bytes, at the position after the previous ones, copied. */
  push(chunk: Uint8Array): void {
    let at = 0;
    const slots = (this.#slots ??= Array.from({ length: SLOTS }, () => new SharedArrayBuffer(SLOT)));
    while (at < chunk.byteLength && !this.#failed) {
      if (this.#filled === 0 && !this.#claim()) break;
      const view = new Uint8Array(slots[this.#slot]!);
      const n = Math.min(SLOT - this.#filled, chunk.byteLength - at);
      view.set(chunk.subarray(at, at + n), this.#filled);
      this.#filled += n;
      at += n;
      if (this.#filled === SLOT) this.#send();
    }
  }

  /**
   * The next bytes, read by the worker where they are: `view` must be of a
   * SharedArrayBuffer and stay unchanged until the promise settles (it never rejects).
   * Nothing is answered once the worker is gone.
   */
  hashShared(view: Uint8Array): Promise<void> | undefined {
    if (!(view.buffer instanceof SharedArrayBuffer))
      throw new TypeError('RangeHashWorker.hashShared needs a view of a SharedArrayBuffer');
    if (this.#filled > 0 && !this.#failed) this.#send();
    const position = this.#position;
    this.#position += view.byteLength;
    if (this.#failed) return undefined;
    return new Promise<void>((resolve) => {
      this.#released.push(resolve);
      this.#worker.postMessage({
        op: 'chunk',
        buffer: view.buffer,
        offset: view.byteOffset,
        length: view.byteLength,
        position,
      });
    });
  }

  /** Waits (blocking, bounded) until the current slot is free; false when the worker is gone. */
  #claim(): boolean {
    if (
      Atomics.load(this.#flags, this.#slot) === 1 &&
      Atomics.wait(this.#flags, this.#slot, 1, WAIT_MS) === 'timed-out'
    ) {
      this.#failed = true;
      return false;
    }
    return true;
  }

  #send(): void {
    Atomics.store(this.#flags, this.#slot, 1);
    this.#worker.postMessage({
      op: 'chunk',
      slot: this.#slot,
      buffer: this.#slots![this.#slot],
      offset: 0,
      length: this.#filled,
      position: this.#position,
    });
    this.#position += this.#filled;
    this.#filled = 0;
    this.#slot = (this.#slot + 1) % SLOTS;
  }

  /** SHA-256 (hex) of every range that was seen whole; empty when the worker failed (the caller reads the file again). */
  digests(): Promise<Map<number, string>> {
    if (this.#answer) return this.#answer;
    if (this.#filled > 0 && !this.#failed) this.#send();
    this.#answer = this.#failed
      ? Promise.resolve(new Map())
      : new Promise<Map<number, string>>((resolve) => {
          const answer = (m: unknown): void => {
            if (m === null) return;
            this.#worker.off('message', answer);
            resolve(new Map(m as Array<[number, string]>));
          };
          this.#worker.on('message', answer);
          this.#worker.once('exit', () => resolve(new Map()));
          this.#worker.postMessage({ op: 'digests' });
        });
    return this.#answer;
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}
