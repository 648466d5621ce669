/**
 * SHA-256 of byte ranges of a file that streams past, on a worker thread: the signed
 * objects of a large SIF are hashed beside the download instead of on the thread that
 * reads the socket. Chunks are copied into a few shared slots; a slot the worker has not
 * finished yet makes the caller wait (Atomics.wait), which bounds memory without turning
 * the in-order, synchronous `push` into an asynchronous one.
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

// The worker: one SHA-256 per range, fed the parts of each slot that fall in it.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { ranges, slots, state } = workerData;
const flags = new Int32Array(state);
const views = slots.map((s) => new Uint8Array(s));
const hashes = ranges.map((r) => ({ ...r, hash: createHash('sha256'), seen: 0 }));
parentPort.on('message', (m) => {
  if (m.op === 'chunk') {
    const end = m.position + m.length;
    for (const r of hashes) {
      const from = Math.max(r.start + r.seen, m.position);
      const to = Math.min(r.end, end);
      if (from >= to || from !== r.start + r.seen) continue;
      r.hash.update(views[m.slot].subarray(from - m.position, to - m.position));
      r.seen += to - from;
    }
    Atomics.store(flags, m.slot, 0);
    Atomics.notify(flags, m.slot);
  } else {
    parentPort.postMessage(hashes.filter((r) => r.seen === r.end - r.start).map((r) => [r.id, r.hash.digest('hex')]));
  }
});
`;

export class RangeHashWorker {
  readonly #worker: Worker;
  readonly #slots: SharedArrayBuffer[];
  readonly #flags: Int32Array;
  #slot = 0;
  #filled = 0;
  #position = 0;
  #failed = false;
  #answer: Promise<Map<number, string>> | undefined;

  constructor(ranges: HashRange[], position: number) {
    this.#slots = Array.from({ length: SLOTS }, () => new SharedArrayBuffer(SLOT));
    const state = new SharedArrayBuffer(4 * SLOTS);
    this.#flags = new Int32Array(state);
    this.#position = position;
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ranges, slots: this.#slots, state } });
    this.#worker.unref();
    this.#worker.on('error', () => (this.#failed = true));
    this.#worker.on('exit', () => (this.#failed = true));
  }

  /** The next bytes, at the position after the previous ones. */
  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.byteLength && !this.#failed) {
      if (this.#filled === 0 && !this.#claim()) return;
      const view = new Uint8Array(this.#slots[this.#slot]!);
      const n = Math.min(SLOT - this.#filled, chunk.byteLength - at);
      view.set(chunk.subarray(at, at + n), this.#filled);
      this.#filled += n;
      at += n;
      if (this.#filled === SLOT) this.#send();
    }
  }

  /** Waits (blocking, bounded) until the current slot is free; false when the worker is gone. */
  #claim(): boolean {
    if (Atomics.load(this.#flags, this.#slot) === 1 && Atomics.wait(this.#flags, this.#slot, 1, WAIT_MS) === 'timed-out') {
      this.#failed = true;
      return false;
    }
    return true;
  }

  #send(): void {
    Atomics.store(this.#flags, this.#slot, 1);
    this.#worker.postMessage({ op: 'chunk', slot: this.#slot, position: this.#position, length: this.#filled });
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
          this.#worker.once('message', (pairs: Array<[number, string]>) => resolve(new Map(pairs)));
          this.#worker.once('exit', () => resolve(new Map()));
          this.#worker.postMessage({ op: 'digests' });
        });
    return this.#answer;
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}
