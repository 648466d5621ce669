import { createHash, type Hash } from 'node:crypto';

/**
 * SHA-256 and byte count of data fed in pieces. Unlike the core's HashingStream, which
 * finalises when its one stream ends, this one outlives several bodies: a download that
 * resumes after a cut keeps feeding the same state.
 */
export class RunningDigest {
  #hash: Hash = createHash('sha256');
  /** Bytes fed so far. */
  bytes = 0;

  update(chunk: Uint8Array): void {
    this.#hash.update(chunk);
    this.bytes += chunk.byteLength;
  }

  /** Forgets everything fed so far. */
  reset(): void {
    this.#hash = createHash('sha256');
    this.bytes = 0;
  }

  /** The SHA-256 as 64 lowercase hex. Ends this digest: call it once. */
  hex(): string {
    return this.#hash.digest('hex');
  }
}
