/** fast-check generators for names, tags, versions and refs that follow the grammar in src/core/uri.ts. */
import fc from 'fast-check';
import { isUuid, isValidName, type ImageRef } from '../../src/core/uri.js';

const chars = (s: string): fc.Arbitrary<string> => fc.constantFrom(...s.split(''));
const LOWER_DIGITS = 'abcdefghijklmnopqrstuvwxyz0123456789';

export const nameArb: fc.Arbitrary<string> = fc
  .tuple(chars(LOWER_DIGITS), fc.string({ unit: chars(`${LOWER_DIGITS}._-`), maxLength: 127 }))
  .map(([a, b]) => a + b)
  .filter(isValidName);

export const tagArb: fc.Arbitrary<string> = fc
  .tuple(chars(`${LOWER_DIGITS}_-`), fc.string({ unit: chars(`${LOWER_DIGITS}._-`), maxLength: 127 }))
  .map(([a, b]) => a + b);

export const versionArb: fc.Arbitrary<string> = fc.string({
  unit: chars('0123456789abcdef'),
  minLength: 64,
  maxLength: 64,
});

export const refArb: fc.Arbitrary<ImageRef> = fc
  .record({ collection: nameArb, name: nameArb, tag: tagArb, version: fc.option(versionArb, { nil: undefined }) })
  .map(({ version, ...r }) => (version === undefined ? r : { ...r, version }));

export const versionedRefArb = fc.record({ collection: nameArb, name: nameArb, tag: tagArb, version: versionArb });

export const displayNameArb: fc.Arbitrary<string> = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 60 })
  // eslint-disable-next-line no-control-regex
  .filter((s) => s.trim() !== '' && !/[\u0000-\u001f\u007f]/.test(s) && !isUuid(s));

export const endpointArb: fc.Arbitrary<string> = fc.oneof(
  fc.uuid().map((u) => u.toLowerCase()),
  displayNameArb,
);

/** Strings built to probe path handling: traversal, separators, NUL, control characters. */
export const trickyArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '..',
    '.',
    '../x',
    'x/..',
    'a/b',
    '/abs',
    'a\\b',
    'a\0b',
    '\0',
    '..\\..',
    'x\n',
    '',
    './x',
    '../../etc/passwd',
  ),
  fc
    .tuple(fc.string({ maxLength: 5 }), fc.constantFrom('/../', '/', '\0', '\\', '\u0001'), fc.string({ maxLength: 5 }))
    .map(([a, b, c]) => a + b + c),
);
