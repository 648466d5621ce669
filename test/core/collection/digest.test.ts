/** The two digests agree with a one-shot SHA-256, whatever thread they hash on. */
import { describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import {
  OFF_THREAD_MIN_BYTES,
  RunningDigest,
  ThreadDigest,
  digestFor,
  sharedBuffer,
} from '../../../src/core/collection/digest.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('digests', () => {
  it('hashes on a worker thread only from the threshold on', async () => {
    const small = digestFor(OFF_THREAD_MIN_BYTES - 1);
    const large = digestFor(OFF_THREAD_MIN_BYTES);
    const unknown = digestFor(undefined);
    try {
      expect([small, large, unknown].map((d) => d.shared)).toEqual([false, true, false]);
    } finally {
      await Promise.all([small.close(), large.close(), unknown.close()]);
    }
  });

  it('gives the same SHA-256 on the worker as on this thread, in pieces, after a reset, and counts bytes', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const buffer = sharedBuffer(data.length);
    data.copy(buffer);
    const thread = new ThreadDigest();
    const local = new RunningDigest();
    try {
      await thread.update(buffer.subarray(0, 1000));
      thread.reset();
      expect(thread.bytes).toBe(0);
      const pending = [];
      for (let at = 0; at < buffer.length; at += 1024 * 1024) {
        const piece = buffer.subarray(at, Math.min(at + 1024 * 1024, buffer.length));
        pending.push(thread.update(piece));
        local.update(piece);
      }
      await Promise.all(pending);
      expect(thread.bytes).toBe(data.length);
      const hex = await thread.hex();
      expect(hex).toBe(sha(data));
      expect(local.hex()).toBe(hex);
      // A finished digest starts over.
      await thread.update(buffer.subarray(0, 5));
      expect(await thread.hex()).toBe(sha(data.subarray(0, 5)));
    } finally {
      await thread.close();
    }
  });

  it('refuses memory the worker cannot see, and fails with LOCAL_IO once closed', async () => {
    const thread = new ThreadDigest();
    expect(() => thread.update(Buffer.alloc(4))).toThrow(TypeError);
    await thread.close();
    await expect(thread.update(sharedBuffer(4))).rejects.toMatchObject({ code: 'LOCAL_IO' });
  });
});
