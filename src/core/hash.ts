/** A pass-through stream that hashes (SHA-256) and counts the bytes flowing through it, in one pass. */
import { createHash, type Hash } from 'node:crypto';
import { open } from 'node:fs/promises';
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

/** Bytes read at a time by `hashFileOnce`, into its one buffer. */
const FILE_READ = 4 * 1024 * 1024;

/**
 * SHA-256 and size of a file read once with positioned reads into one reused buffer (no
 * stream, no buffer per chunk); `onBytes` sees the running count after every read. Read
 * errors and aborts are thrown as they come; callers word them.
 */
export async function hashFileOnce(file: string, onBytes?: (bytes: number) => void, signal?: AbortSignal, onChunk?: (chunk: Uint8Array, offset: number) => void): Promise<{ sha256: string; size: number }> {
  const handle = await open(file, 'r');
  try {
    const hash = createHash('sha256');
    // No larger than the file (plus one byte to see its end): a manifest needs no 4 MiB.
    const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(FILE_READ, (await handle.stat()).size + 1)));
    let size = 0;
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, size);
      if (bytesRead === 0) break;
      onChunk?.(buffer.subarray(0, bytesRead), size);
      hash.update(buffer.subarray(0, bytesRead));
      size += bytesRead;
      onBytes?.(size);
    }
    return { sha256: hash.digest('hex'), size };
  } finally {
    await handle.close();
  }
}
