/** The digest agrees with a one-shot SHA-256 fed in pieces, after a reset, across a finish. */
import { describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { RunningDigest, sharedBuffer } from '../../../src/core/collection/digest.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('digests', () => {
  it('gives the SHA-256 of what it was fed, in pieces of shared or plain memory, after a reset, and counts bytes', () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const shared = sharedBuffer(data.length);
    data.copy(shared);
    const digest = new RunningDigest();
    digest.update(shared.subarray(0, 1000));
    digest.reset();
    expect(digest.bytes).toBe(0);
    for (let at = 0; at < data.length; at += 1024 * 1024) {
      const end = Math.min(at + 1024 * 1024, data.length);
      digest.update(at % (2 * 1024 * 1024) === 0 ? shared.subarray(at, end) : data.subarray(at, end));
    }
    expect(digest.bytes).toBe(data.length);
    expect(digest.hex()).toBe(sha(data));
  });
});
