import { Transform, type TransformCallback } from 'node:stream';
import type { ServerResponse } from 'node:http';

/** Passes a body through with the byte at `index` (counted from the start of this body) inverted. */
export function flipByteAt(index: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      const at = index - seen;
      seen += chunk.length;
      if (at >= 0 && at < chunk.length) {
        const copy = Buffer.from(chunk);
        copy[at] = (copy[at] ?? 0) ^ 0xff;
        done(null, copy);
        return;
      }
      done(null, chunk);
    },
  });
}

/**
 * Counts the bytes going through and, once `limit` have passed, calls `cut` and fails
 * the stream, dropping the rest. Used to break an upload after N bytes.
 */
export function cutAfter(limit: number, cut: () => void): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      const room = limit - seen;
      seen += chunk.length;
      if (seen < limit) {
        done(null, chunk);
        return;
      }
      if (room > 0) this.push(chunk.subarray(0, room));
      cut();
      done(new Error(`Connection reset after ${limit} bytes (injected fault)`));
    },
  });
}

/**
 * Writes a response body chunk by chunk, each write waited for until it has reached the
 * socket, so that a connection destroyed afterwards has delivered every byte written.
 */
export async function writeFlushed(res: ServerResponse, body: AsyncIterable<Buffer>): Promise<void> {
  for await (const chunk of body) {
    await new Promise<void>((resolve, reject) => {
      const onClose = (): void => reject(new Error('Response closed before the body was written'));
      res.once('close', onClose);
      res.write(chunk, (err) => {
        res.off('close', onClose);
        if (err) reject(err);
        else resolve();
      });
    });
  }
}
