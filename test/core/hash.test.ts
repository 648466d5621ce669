import { describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHashingStream, hashFileOnce } from '../../src/core/hash.js';

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

describe('hashFileOnce', () => {
  it('hashes a file spanning several reads of its one buffer and reports the running count', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hash-file-'));
    try {
      const data = randomBytes(9 * 1024 * 1024 + 5);
      const file = join(dir, 'data.bin');
      await writeFile(file, data);
      const seen: number[] = [];
      const result = await hashFileOnce(file, (n) => seen.push(n));
      expect(result).toEqual({ sha256: createHash('sha256').update(data).digest('hex'), size: data.length });
      expect(seen.length).toBeGreaterThan(1);
      expect(seen.at(-1)).toBe(data.length);
      expect([...seen].sort((a, b) => a - b)).toEqual(seen);
      const empty = join(dir, 'empty.bin');
      await writeFile(empty, '');
      expect(await hashFileOnce(empty)).toEqual({ sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', size: 0 });
      const controller = new AbortController();
      controller.abort();
      await expect(hashFileOnce(file, undefined, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
