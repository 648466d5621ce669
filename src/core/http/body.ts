import type { Readable } from 'node:stream';

/** Most bytes of an error body the client reads; the rest is discarded unread. */
export const ERROR_BODY_LIMIT = 64 * 1024;

export interface LimitedBody {
  bytes: Buffer;
  /** The body was longer than the limit; `bytes` holds only its start. */
  truncated: boolean;
}

/** Reads at most `limit` bytes of `stream`, then destroys it so nothing more is read. */
export async function readLimited(stream: Readable | AsyncIterable<Uint8Array>, limit: number): Promise<LimitedBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of stream as AsyncIterable<Uint8Array | string>) {
    const buf =
      typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (size + buf.length > limit) {
      chunks.push(buf.subarray(0, limit - size));
      size = limit;
      truncated = true;
      break;
    }
    chunks.push(buf);
    size += buf.length;
  }
  if (truncated) (stream as Partial<Readable>).destroy?.();
  return { bytes: Buffer.concat(chunks, size), truncated };
}
