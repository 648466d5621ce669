import { createHash, type Hash } from 'node:crypto';

/**
 * SHA-256 and byte count of data fed in pieces, state kept across several bodies: a
 * download that resumes after a cut keeps feeding the same state. Hashed on this thread,
 * beside the socket and the disk: on the machines measured, no slower than a worker thread,
 * whose isolate costs 12-15 MB of peak memory (docs/PERFORMANCE.md). A digest that shares
 * its buffers with another reader (a download's signature check) is handed SharedArrayBuffer
 * memory, which that reader's own thread reads in place.
 */
export interface Digest {
  /** Bytes fed so far (counted when `update` is called). */
  readonly bytes: number;
  /** True when `update` must be given views of SharedArrayBuffer memory (read in place by another thread). */
  readonly shared: boolean;
  /** Feeds `view`; its bytes must stay as they are until the returned promise (if any) settles. */
  update(view: Uint8Array): void | Promise<void>;
  /** Forgets everything fed so far. */
  reset(): void;
  /** The SHA-256 as 64 lowercase hex, once every update has landed. Ends this state: call it once per reset. */
  hex(): string | Promise<string>;
  /** Frees what the digest holds. */
  close(): Promise<void>;
}

/** A buffer whose memory another thread can read without a copy. */
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
