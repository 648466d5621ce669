import { createHash, type Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { SregistryError } from '../errors.js';

/**
 * SHA-256 and byte count of data fed in pieces, state kept across several bodies: a
 * download that resumes after a cut keeps feeding the same state. Two kinds: on this
 * thread, or on a worker thread for large uploads, where the hash then runs beside the
 * disk reads and the socket instead of between them (downloads hash on this thread: see
 * ResumableDownload).
 */
export interface Digest {
  /** Bytes fed so far (counted when `update` is called). */
  readonly bytes: number;
  /** True when `update` must be given views of SharedArrayBuffer memory (read in place by the worker). */
  readonly shared: boolean;
  /** Feeds `view`; its bytes must stay as they are until the returned promise (if any) settles. */
  update(view: Uint8Array): void | Promise<void>;
  /** Forgets everything fed so far. */
  reset(): void;
  /** The SHA-256 as 64 lowercase hex, once every update has landed. Ends this state: call it once per reset. */
  hex(): string | Promise<string>;
  /** Frees what the digest holds (the worker thread). */
  close(): Promise<void>;
}

/** From this size on a file is hashed on a worker thread; below it the thread's start (some 20-40 ms) costs more than it saves. */
export const OFF_THREAD_MIN_BYTES = 64 * 1024 * 1024;

/** The digest for a body of `size` bytes (unknown: this thread). */
export const digestFor = (size: number | undefined): Digest =>
  size !== undefined && size >= OFF_THREAD_MIN_BYTES ? new ThreadDigest() : new RunningDigest();

/** A buffer whose memory a ThreadDigest can read without a copy. */
export const sharedBuffer = (size: number): Buffer => Buffer.from(new SharedArrayBuffer(size));

export class RunningDigest implements Digest {
  #hash: Hash = createHash('sha256');
  bytes = 0;
  readonly shared = false;

  update(chunk: Uint8Array): void {
    this.#hash.update(chunk);
    this.bytes += chunk.byteLength;
  }

  reset(): void {
    this.#hash = createHash('sha256');
    this.bytes = 0;
  }

  hex(): string {
    return this.#hash.digest('hex');
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

// The worker's whole program: messages are handled in order, each answered once.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
let hash = createHash('sha256');
parentPort.on('message', (m) => {
  if (m.op === 'update') {
    hash.update(new Uint8Array(m.buffer, m.offset, m.length));
    parentPort.postMessage(null);
  } else if (m.op === 'reset') {
    hash = createHash('sha256');
  } else {
    parentPort.postMessage(hash.digest('hex'));
    hash = createHash('sha256');
  }
});
`;

type Pending = { resolve: (value: string | null) => void; reject: (err: Error) => void };

/** SHA-256 on a worker thread, fed views of shared memory: no bytes are copied to reach it. */
export class ThreadDigest implements Digest {
  bytes = 0;
  readonly shared = true;
  readonly #worker: Worker;
  /** Answers still to come, in the order the messages went. */
  readonly #pending: Pending[] = [];
  #failure: SregistryError | undefined;

  constructor() {
    this.#worker = new Worker(WORKER_SOURCE, { eval: true });
    // A worker never keeps the process alive; close() ends it.
    this.#worker.unref();
    this.#worker.on('message', (value: string | null) => this.#pending.shift()?.resolve(value));
    const fail = (why: string): void => {
      this.#failure ??= new SregistryError('LOCAL_IO', `The hashing thread ${why}; try again`);
      for (const p of this.#pending.splice(0)) p.reject(this.#failure);
    };
    this.#worker.on('error', (err) => fail(`failed: ${err.message}`));
    this.#worker.on('exit', () => fail('stopped'));
  }

  #ask(message: { op: string; buffer?: ArrayBufferLike; offset?: number; length?: number }): Promise<string | null> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#pending.push({ resolve, reject });
      this.#worker.postMessage(message);
    });
  }

  update(view: Uint8Array): Promise<void> {
    if (!(view.buffer instanceof SharedArrayBuffer))
      throw new TypeError('ThreadDigest.update needs a view of a SharedArrayBuffer');
    this.bytes += view.byteLength;
    return this.#ask({ op: 'update', buffer: view.buffer, offset: view.byteOffset, length: view.byteLength }).then(
      () => undefined,
    );
  }

  reset(): void {
    this.bytes = 0;
    if (!this.#failure) this.#worker.postMessage({ op: 'reset' });
  }

  async hex(): Promise<string> {
    return (await this.#ask({ op: 'digest' }))!;
  }

  async close(): Promise<void> {
    this.#failure ??= new SregistryError('LOCAL_IO', 'The hashing thread was closed');
    await this.#worker.terminate();
  }
}
