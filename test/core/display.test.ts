import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { displayLine, isDisplaySafe } from '../../src/core/display.js';
import { countProperty } from '../reliability/ledger.js';

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('displayLine', () => {
  it.each([
    ['a\nb', 'a\\nb'],
    ['a\r\n', 'a\\r\\n'],
    ['\u001b]0;title\u0007', '\\x1b]0;title\\x07'],
    ['\u001b[2J', '\\x1b[2J'],
    ['del\u007f', 'del\\x7f'],
    ['c1\u009b31m', 'c1\\x9b31m'],
    ['ltr\u202erev', 'ltr\\u{202e}rev'],
    ['iso\u2066x\u2069', 'iso\\u{2066}x\\u{2069}'],
    ['para\u2029sep', 'para\\u{2029}sep'],
    ['lone \ud800 high', 'lone \\u{d800} high'],
    ['C:\\path ünïcödé 😀', 'C:\\path ünïcödé 😀'],
  ])('%j shows as %j', (input, shown) => {
    expect(displayLine(input)).toBe(shown);
  });

  it('leaves no line break, control, separator or bidi character in any string, and keeps safe text as it is', () => {
    const runs = 2000;
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        const shown = displayLine(s);
        expect(UNSAFE.test(shown)).toBe(false);
        expect(isDisplaySafe(shown)).toBe(true);
        expect(shown.split('\n')).toHaveLength(1);
        if (isDisplaySafe(s)) expect(shown).toBe(s);
      }),
      { numRuns: runs },
    );
    countProperty('display: escaping of arbitrary strings', runs);
  });
});
