/** A pass-through stream that hashes (SHA-256) and counts the bytes flowing through it, in one pass. */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { SregistryError } from './errors.js';

export class HashingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private hex: string | undefined;
  /** Bytes seen so far. */
  bytes = 0;

  override _transform(chunk: Buffer | string, encoding: BufferEncoding, callback: TransformCallback): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
    this.hash.update(buf);
    this.bytes += buf.length;
    callback(null, buf);
  }

  override _flush(callback: TransformCallback): void {
    this.hex = this.hash.digest('hex');
    callback();
  }

  /** The SHA-256 as 64 lowercase hex; only once the stream has ended. */
  digest(): string {
    if (this.hex === undefined) throw new SregistryError('INVALID_INPUT', 'HashingStream.digest() was called before the stream ended: wait for its end or finish event');
    return this.hex;
  }
}

export const createHashingStream = (): HashingStream => new HashingStream();
