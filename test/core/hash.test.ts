import { describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHashingStream } from '../../src/core/hash.js';

describe('HashingStream', () => {
  it('passes bytes through unchanged while hashing and counting them', async () => {
    const chunks = [randomBytes(1), randomBytes(65_536), Buffer.alloc(0), randomBytes(12_345)];
    const all = Buffer.concat(chunks);
    const hashing = createHashingStream();
    const seen: Buffer[] = [];
    await pipeline(
      Readable.from(chunks),
      hashing,
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          seen.push(chunk);
          cb();
        },
      }),
    );
    expect(Buffer.concat(seen).equals(all)).toBe(true);
    expect(hashing.bytes).toBe(all.length);
    expect(hashing.digest()).toBe(createHash('sha256').update(all).digest('hex'));
  });

  it('hashes an empty stream', async () => {
    const hashing = createHashingStream();
    await pipeline(Readable.from([]), hashing, new Writable({ write: (_c, _e, cb) => cb() }));
    expect(hashing.digest()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hashing.bytes).toBe(0);
  });

  it('refuses a digest before the end', () => {
    expect(() => createHashingStream().digest()).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});
