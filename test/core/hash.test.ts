import { describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashFileOnce } from '../../src/core/hash.js';

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
      expect(await hashFileOnce(empty)).toEqual({
        sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        size: 0,
      });
      const controller = new AbortController();
      controller.abort();
      await expect(hashFileOnce(file, undefined, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
