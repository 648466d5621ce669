import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { SregistryError } from '../../src/core/errors.js';
import { joinInsideRoot } from '../../src/core/layout.js';
import {
  formatGlobusUri,
  formatReference,
  isUuid,
  parseGlobusUri,
  parseReference,
  sregistryCliConflict,
  toImageUri,
  validateRef,
} from '../../src/core/uri.js';
import { endpointArb, refArb } from './uri-arbitraries.js';

const V = 'a'.repeat(64);
const UUID = '6c54cade-bde5-45c1-bdea-f4bd71dba2cc';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof SregistryError ? err.code : `not SregistryError: ${String(err)}`;
  }
  return undefined;
}

describe('parseReference', () => {
  it('fills in the default collection and tag', () => {
    expect(parseReference('ubuntu')).toEqual({ collection: 'library', name: 'ubuntu', tag: 'latest' });
    expect(parseReference('lab/ubuntu')).toEqual({ collection: 'lab', name: 'ubuntu', tag: 'latest' });
    expect(parseReference('ubuntu:22.04')).toEqual({ collection: 'library', name: 'ubuntu', tag: '22.04' });
  });

  it('lower-cases and accepts a version with or without sha256:', () => {
    expect(parseReference(`  Lab/Ubuntu:V1@SHA256:${'A'.repeat(64)} `)).toEqual({
      collection: 'lab',
      name: 'ubuntu',
      tag: 'v1',
      version: V,
    });
    expect(parseReference(`ubuntu@${V}`)).toEqual({ collection: 'library', name: 'ubuntu', tag: 'latest', version: V });
  });

  it('strips an image suffix only at the end of the name', () => {
    expect(parseReference('ubuntu.sif').name).toBe('ubuntu');
    expect(parseReference('lab/ubuntu.simg:v1').name).toBe('ubuntu');
    expect(parseReference('ubuntu.img').name).toBe('ubuntu');
    expect(parseReference('ubuntu.sif.bak').name).toBe('ubuntu.sif.bak');
    expect(parseReference('my.sifted').name).toBe('my.sifted');
    expect(parseReference('ubuntu:v1.sif')).toEqual({ collection: 'library', name: 'ubuntu', tag: 'v1.sif' });
    expect(codeOf(() => parseReference('a.sif.sif'))).toBe('INVALID_REFERENCE');
  });

  it.each([
    '',
    '   ',
    'a/b/c',
    '../x',
    'lab/..',
    '.hidden',
    '-dash',
    'x:',
    'x:.hidden',
    'x@',
    'x@123',
    `x@sha256:${'g'.repeat(64)}`,
    `x@${V}@${V}`,
    'x:a:b',
    'has space',
    'a\0b',
    '\u212Aube', // Kelvin sign lower-cases to ASCII k
    'é',
    '/name',
    'lab/',
    `${'a'.repeat(129)}`,
    `x:${'t'.repeat(129)}`,
  ])('rejects %j with INVALID_REFERENCE and shows the accepted form', (text) => {
    let err: unknown;
    try {
      parseReference(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SregistryError);
    expect((err as SregistryError).code).toBe('INVALID_REFERENCE');
    expect((err as SregistryError).message).toContain('expected [collection/]name[:tag][@sha256:<64 hex>]');
    expect((err as SregistryError).message).not.toContain('\n');
  });

  it('accepts names and tags of exactly 128 characters', () => {
    const r = parseReference(`${'c'.repeat(128)}/${'n'.repeat(128)}:${'t'.repeat(128)}`);
    expect(r.name.length).toBe(128);
    expect(r.tag.length).toBe(128);
  });

  it('round-trips: parse(format(ref)) equals ref', () => {
    fc.assert(fc.property(refArb, (ref) => expect(parseReference(formatReference(ref))).toEqual(ref)));
  });

  it('never yields a collection or name that leaves a root', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: fc.constantFrom('.', '/', 'a', ':', '@', '\\', '\0', '~') })),
        (text) => {
          let ref;
          try {
            ref = parseReference(text);
          } catch (err) {
            expect((err as SregistryError).code).toBe('INVALID_REFERENCE');
            return;
          }
          const path = joinInsideRoot('/shub/', ref.collection, ref.name, ref.tag);
          expect(path.startsWith('/shub/')).toBe(true);
          expect(path.split('/').filter((s) => s === '..' || s === '.')).toEqual([]);
        },
      ),
    );
  });

  it('validateRef refuses objects that do not follow the grammar', () => {
    expect(codeOf(() => validateRef({ collection: '..', name: 'x', tag: 'latest' }))).toBe('INVALID_REFERENCE');
    expect(codeOf(() => validateRef({ collection: 'a', name: 'x/y', tag: 'latest' }))).toBe('INVALID_REFERENCE');
    expect(codeOf(() => validateRef({ collection: 'a', name: 'x', tag: '' }))).toBe('INVALID_REFERENCE');
    expect(codeOf(() => validateRef({ collection: 'a', name: 'x', tag: 'y', version: 'abc' }))).toBe(
      'INVALID_REFERENCE',
    );
    expect(validateRef({ collection: 'a', name: 'x', tag: 'y', extra: 1 } as never)).toEqual({
      collection: 'a',
      name: 'x',
      tag: 'y',
    });
  });

  it('formats canonically', () => {
    expect(formatReference(parseReference('ubuntu'))).toBe('library/ubuntu:latest');
    expect(formatReference(parseReference(`lab/ubuntu:v1@sha256:${V}`))).toBe(`lab/ubuntu:v1@${V}`);
  });
});

describe('parseGlobusUri', () => {
  it('parses an endpoint alone as the registry', () => {
    expect(parseGlobusUri(`globus://${UUID}`)).toEqual({ endpoint: UUID });
    expect(parseGlobusUri(`globus://${UUID}/`)).toEqual({ endpoint: UUID });
    expect(parseGlobusUri(`GLOBUS://${UUID.toUpperCase()}`)).toEqual({ endpoint: UUID });
  });

  it('parses an image URI with tag and version', () => {
    expect(parseGlobusUri(`globus://${UUID}/lab/ubuntu:v1@${V}`)).toEqual({
      endpoint: UUID,
      ref: { collection: 'lab', name: 'ubuntu', tag: 'v1', version: V },
    });
    expect(parseGlobusUri(`globus://${UUID}/Lab/Ubuntu`).ref).toEqual({
      collection: 'lab',
      name: 'ubuntu',
      tag: 'latest',
    });
  });

  it('decodes %-escaped display names and keeps their case', () => {
    expect(parseGlobusUri('globus://My%20Laptop%20%28GCP%29/lab/x').endpoint).toBe('My Laptop (GCP)');
    expect(parseGlobusUri('globus://Tutorial_Collection-1.v2~x').endpoint).toBe('Tutorial_Collection-1.v2~x');
    expect(formatGlobusUri({ endpoint: 'My Laptop (GCP)' })).toBe('globus://My%20Laptop%20%28GCP%29');
  });

  it.each([
    'http://x/lab/y',
    'globus://',
    'globus:///lab/x',
    'globus://a b/lab/x',
    'globus://a@b/lab/x',
    'globus://My(Laptop)/lab/x',
    'globus://%zz/lab/x',
    'globus://%00/lab/x',
    'globus://%20/lab/x',
    `globus://${UUID}/ubuntu`,
    `globus://${UUID}/a/b/c`,
    `globus://${UUID}/lab/../x`,
    `globus://${UUID}/lab/x@123`,
  ])('rejects %j with INVALID_REFERENCE', (text) => {
    let err: unknown;
    try {
      parseGlobusUri(text);
    } catch (e) {
      err = e;
    }
    expect((err as SregistryError).code).toBe('INVALID_REFERENCE');
    expect((err as SregistryError).message).toContain('expected globus://');
  });

  it('round-trips: parse(format(uri)) equals uri', () => {
    fc.assert(
      fc.property(endpointArb, fc.option(refArb, { nil: undefined }), (endpoint, ref) => {
        const uri = ref === undefined ? { endpoint } : { endpoint, ref };
        expect(parseGlobusUri(formatGlobusUri(uri))).toEqual(uri);
      }),
    );
  });

  it('isUuid', () => {
    expect(isUuid(UUID)).toBe(true);
    expect(isUuid(UUID.toUpperCase())).toBe(true);
    expect(isUuid(`${UUID}0`)).toBe(false);
    expect(isUuid('not-a-uuid')).toBe(false);
  });
});

describe('the forms of sregistry-cli and globus-cli', () => {
  const U = '6c4d0e3a-0000-4000-8000-000000000001';
  const V = 'a'.repeat(64);
  const codeOf = (f: () => unknown): string | undefined => {
    try {
      f();
      return undefined;
    } catch (err) {
      return (err as SregistryError).code;
    }
  };

  it('globus://<endpoint>:<path> and <endpoint>:<path> of a registry image are that image, pinned', () => {
    expect(toImageUri(`globus://${U}:/shub/lab/app/v1@${V}.sif`)).toBe(`globus://${U}/lab/app:v1@${V}`);
    expect(toImageUri(`${U}:/~/shub/lab/app/v1@${V}.sif`)).toBe(`globus://${U}/lab/app:v1@${V}`);
    expect(toImageUri(`my-collection:shub/lab/app/v1@${V}.sif`)).toBe(`globus://my-collection/lab/app:v1@${V}`);
    expect(parseGlobusUri(`globus://${U}:/shub/lab/app/v1@${V}.sif`)).toEqual({
      endpoint: U,
      ref: { collection: 'lab', name: 'app', tag: 'v1', version: V },
    });
  });

  it('a path to a layout-2 version file is that version, under the default tag', () => {
    expect(toImageUri(`globus://${U}:/shub/lab/app/sha256.${V}.sif`)).toBe(`globus://${U}/lab/app:latest@${V}`);
    expect(toImageUri(`${U}:/shub/lab/app/sha256.${V}.sif`)).toBe(`globus://${U}/lab/app:latest@${V}`);
    expect(parseGlobusUri(`globus://${U}:/~/shub/lab/app/sha256.${V}.sif`)).toEqual({
      endpoint: U,
      ref: { collection: 'lab', name: 'app', tag: 'latest', version: V },
    });
    // Not a version: a short digest, or its manifest.
    expect(codeOf(() => toImageUri(`${U}:/shub/lab/app/sha256.${V.slice(0, 12)}.sif`))).toBe('INVALID_REFERENCE');
    expect(codeOf(() => toImageUri(`${U}:/shub/lab/app/v1@${V}.20260101T000000000Z.json`))).toBe('INVALID_REFERENCE');
  });

  it('any other path is refused with its globus:// equivalent', () => {
    const message = (text: string) => {
      try {
        toImageUri(text);
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(message(`${U}:/shub/lab/app`)).toContain(`globus://${U}/lab/app:<tag>`);
    // A manifest is not an image.
    expect(message(`${U}:/shub/lab/app/v1@${V}.sif.json`)).toContain(`globus://${U}/<collection>/<name>:<tag>`);
    expect(message(`${U}:/x`)).toContain(`globus://${U}/<collection>/<name>:<tag>`);
    // sregistry-cli's globus://<endpoint>:<path>, with a relative path that is no image.
    expect(message('globus://a:1/lab/x')).toContain('write globus://a/lab/x:<tag>');
    expect(codeOf(() => toImageUri(`${U}:/shub/lab/app`))).toBe('INVALID_REFERENCE');
  });

  it('the usual forms are left as they are', () => {
    expect(toImageUri(`globus://${U}/lab/app:v1`)).toBe(`globus://${U}/lab/app:v1`);
    expect(codeOf(() => toImageUri('lab/app:v1'))).toBe('INVALID_REFERENCE');
  });

  it('names sregistry-cli would read as another image are flagged with what to use', () => {
    expect(sregistryCliConflict({ collection: 'lab.core', name: 'w', tag: 'v1' })).toContain('"lab-core"');
    expect(sregistryCliConflict({ collection: 'lab', name: 'my.imgtool', tag: 'v1' })).toContain('"my-imgtool"');
    expect(sregistryCliConflict({ collection: 'lab', name: 'w', tag: 'v1.simg' })).toContain('"v1-simg"');
    expect(sregistryCliConflict({ collection: 'lab', name: 'w.x', tag: 'v1.2' })).toBeUndefined();
    expect(sregistryCliConflict({ collection: 'library', name: 'ubuntu', tag: '22.04' })).toBeUndefined();
  });
});
