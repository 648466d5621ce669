import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { SregistryError } from '../errors.js';
import { sharedBuffer, type Digest } from './digest.js';

/** What to upload: a local file (re-opened for every attempt) or a stream factory (called for every attempt). */
export type UploadSource = { file: string } | { stream: () => Readable; size?: number };

/** One attempt's view of the bytes that went out. */
export interface UploadAttempt {
  digest: Digest;
  /** The body was read to its end. */
  complete: boolean;
  /** Reading the source failed: the upload must stop with this error, not a network one. */
  localError?: SregistryError;
}

export type UploadProgress = (bytesSent: number, total?: number) => void;

/** Bytes read from a file at a time, into one of two buffers the attempt reuses. */
const READ_CHUNK = 1024 * 1024;

/**
 * A fresh body for one attempt: reads the source once, hashing and counting each chunk
 * as it is handed to the connection, so the digest describes exactly the bytes sent.
 * A file is read with positioned reads into two buffers taken in turn, so a chunk stays
 * intact while the connection still writes it and the next one is being read; the
 * consumer must be done with a chunk before it asks for the one after the next (the
 * HTTP layer, undici, is). A buffer is read into again only once its hash
 * has landed too (a worker thread's, for a shared digest, runs beside the socket).
 */
export function uploadBody(
  source: UploadSource,
  size: number | undefined,
  attempt: UploadAttempt,
  onProgress?: UploadProgress,
): AsyncGenerator<Uint8Array> {
  const what = 'file' in source ? source.file : 'the upload stream';
  async function* body(): AsyncGenerator<Uint8Array> {
    let input: AsyncIterable<Buffer | string>;
    try {
      input = 'file' in source ? await fileChunks(source.file, attempt.digest, size) : source.stream();
    } catch (err) {
      throw fail(attempt, localError(`Could not open ${what}`, err));
    }
    try {
      for await (const piece of input) {
        const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
        // A file's chunks are hashed where they are read (fileChunks); a stream's here.
        if (!('file' in source)) await attempt.digest.update(chunk);
        if (size !== undefined && attempt.digest.bytes > size) {
          attempt.complete = false;
          throw fail(attempt, changed(what, attempt.digest.bytes, size));
        }
        onProgress?.(attempt.digest.bytes, size);
        // With a known length the server may answer as soon as the last byte lands, before
        // the HTTP client asks this generator for its end: the body is complete here.
        if (size !== undefined && attempt.digest.bytes === size) attempt.complete = true;
        yield chunk;
      }
    } catch (err) {
      if (attempt.localError) throw attempt.localError;
      throw fail(attempt, localError(`Reading ${what} failed`, err));
    }
    if (size !== undefined && attempt.digest.bytes !== size)
      throw fail(attempt, changed(what, attempt.digest.bytes, size));
    attempt.complete = true;
  }
  return body();
}

/**
 * The file's bytes as views of two alternating buffers (no larger than the file's
 * `size`, when known), each fed to `digest` as it is read; the file is closed at the end
 * or when the consumer stops.
 */
async function fileChunks(file: string, digest: Digest, size: number | undefined): Promise<AsyncIterable<Buffer>> {
  const handle = await open(file, 'r');
  async function* chunks(h: FileHandle): AsyncGenerator<Buffer> {
    const hashed: (void | Promise<void>)[] = [undefined, undefined];
    try {
      // One byte more than the file, so the first read past its end sees the end.
      const length = size === undefined ? READ_CHUNK : Math.max(1, Math.min(READ_CHUNK, size + 1));
      const allocate = digest.shared ? sharedBuffer : Buffer.allocUnsafe;
      const buffers = [allocate(length), allocate(length)];
      let position = 0;
      for (let turn = 0; ; turn ^= 1) {
        const buffer = buffers[turn]!;
        await hashed[turn];
        const { bytesRead } = await h.read(buffer, 0, buffer.length, position);
        if (bytesRead === 0) break;
        position += bytesRead;
        const chunk = buffer.subarray(0, bytesRead);
        hashed[turn] = digest.update(chunk);
        yield chunk;
      }
      // Every byte is hashed before the body ends.
      await Promise.all(hashed);
    } finally {
      await Promise.allSettled(hashed);
      await h.close();
    }
  }
  return chunks(handle);
}

const changed = (what: string, read: number, size: number): SregistryError =>
  new SregistryError(
    'LOCAL_IO',
    `${what} changed while it was uploaded: read ${read} bytes, expected ${size}; upload it again`,
  );

function fail(attempt: UploadAttempt, err: SregistryError): SregistryError {
  attempt.localError = err;
  return err;
}

function localError(what: string, err: unknown): SregistryError {
  const detail = err instanceof Error ? err.message : String(err);
  return new SregistryError('LOCAL_IO', `${what}: ${detail}`, { cause: err });
}
