/** Which folders a search walks into for a query. */
import { describe, expect, it } from '@jest/globals';
import { pruner } from '../../../src/core/registry/operations/search.js';

describe('search pruning', () => {
  it('keeps every folder that could hold a match and drops the others', () => {
    const all = pruner(undefined);
    expect(all.collection('x') && all.name('x', 'y')).toBe(true);
    const plain = pruner('ubu');
    expect(plain.collection('zzz') && plain.name('zzz', 'zzz')).toBe(true);
    const slash = pruner('lib/ubu');
    expect(slash.collection('lib')).toBe(true);
    expect(slash.collection('mylib')).toBe(true);
    expect(slash.collection('library')).toBe(false);
    expect(slash.name('lib', 'ubuntu')).toBe(true);
    expect(slash.name('lib', 'alpine')).toBe(false);
    const withTag = pruner('lib/ubuntu:22');
    expect(withTag.name('lib', 'ubuntu')).toBe(true);
    expect(withTag.name('lib', 'ubuntu2')).toBe(false);
    const colon = pruner('tu:22');
    expect(colon.name('any', 'ubuntu')).toBe(true);
    expect(colon.name('any', 'alpine')).toBe(false);
  });
});
