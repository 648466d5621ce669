import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { posix } from 'node:path';
import { SregistryError } from '../../src/core/errors.js';
import {
  DEFAULT_ROOT,
  MARKER,
  SNIFF_ROOTS,
  checkSegment,
  imageFolder,
  imagePath,
  joinInsideRoot,
  manifestPath,
  markerContent,
  markerPath,
  normaliseRoot,
  parseImageFileName,
  parseManifestFileName,
  parseMarker,
  formatStamp,
  parseStamp,
  parseTagManifestName,
  parseVersionFileName,
  tagManifestPath,
  versionFileName,
  versionFilePath,
  parseUploadFileName,
  uploadPath,
} from '../../src/core/layout.js';
import { buildManifest, manifestText, parseManifest, type Manifest } from '../../src/core/manifest.js';
import {
  indexListing,
  isFutureManifest,
  newestVersion,
  parseListingTime,
  readFolder,
  STAMP_SKEW_MS,
} from '../../src/core/versions.js';
import { trickyArb, versionedRefArb } from './uri-arbitraries.js';

const V1 = '1'.repeat(64);
const V2 = '2'.repeat(64);
const V3 = '3'.repeat(64);
const UUID = '6c54cade-bde5-45c1-bdea-f4bd71dba2cc';
const ref = { collection: 'lab', name: 'ubuntu', tag: 'v1', version: V1 };

function errorOf(fn: () => unknown): SregistryError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SregistryError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

describe('roots and paths', () => {
  it('has the design constants', () => {
    expect(SNIFF_ROOTS).toEqual(['/shub/', '/~/.singularity/shub/', '/~/shub/', '/']);
    expect(DEFAULT_ROOT).toBe('/shub/');
    expect(MARKER).toBe('.sregistry');
    expect(markerPath('/shub')).toBe('/shub/.sregistry');
  });

  it('normalises roots', () => {
    expect(normaliseRoot('/shub')).toBe('/shub/');
    expect(normaliseRoot('/shub/')).toBe('/shub/');
    expect(normaliseRoot('//data//./shub//')).toBe('/data/shub/');
    expect(normaliseRoot('~/shub')).toBe('/~/shub/');
    expect(normaliseRoot('/')).toBe('/');
    expect(errorOf(() => normaliseRoot('shub')).code).toBe('INVALID_INPUT');
    expect(errorOf(() => normaliseRoot('')).code).toBe('INVALID_INPUT');
    expect(errorOf(() => normaliseRoot('/shub/../etc')).code).toBe('UNSAFE_PATH');
    expect(errorOf(() => normaliseRoot('/sh\0ub')).code).toBe('UNSAFE_PATH');
  });

  it('builds image, manifest and upload paths', () => {
    expect(imagePath('/shub', ref)).toBe(`/shub/lab/ubuntu/v1@${V1}.sif`);
    expect(manifestPath('/~/shub/', ref)).toBe(`/~/shub/lab/ubuntu/v1@${V1}.sif.json`);
    expect(uploadPath('/shub/', ref, UUID.toUpperCase())).toBe(`/shub/lab/ubuntu/.v1@upload-${UUID}.partial`);
    expect(imageFolder('/', ref)).toBe('/lab/ubuntu/');
    expect(errorOf(() => imagePath('/shub/', { collection: 'lab', name: 'x', tag: 'latest' })).code).toBe(
      'INVALID_INPUT',
    );
    expect(errorOf(() => uploadPath('/shub/', ref, 'nope')).code).toBe('INVALID_INPUT');
    expect(errorOf(() => imagePath('/shub/', { ...ref, name: '..' })).code).toBe('INVALID_REFERENCE');
  });

  it('joinInsideRoot refuses empty, dot, slash, NUL and control segments with UNSAFE_PATH', () => {
    for (const bad of ['', '.', '..', 'a/b', '/', 'a\0', 'a\\b', 'x\ny', 'é'.repeat(128)]) {
      const err = errorOf(() => joinInsideRoot('/shub/', 'lab', bad));
      expect(err.code).toBe('UNSAFE_PATH');
      expect(err.message).not.toContain('\n');
    }
    expect(joinInsideRoot('/shub', 'a..b', '~', '%2e%2e')).toBe('/shub/a..b/~/%2e%2e');
  });

  it('joinInsideRoot refuses every tricky segment (property)', () => {
    fc.assert(
      fc.property(trickyArb, (bad) => expect(errorOf(() => joinInsideRoot('/shub/', bad)).code).toBe('UNSAFE_PATH')),
    );
  });

  it('whatever joinInsideRoot accepts stays inside the root (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom('.', '/', 'a', '\\', '\0', '~', '%') }), { maxLength: 4 }),
        (parts) => {
          let out: string;
          try {
            out = joinInsideRoot('/shub/', ...parts);
          } catch (err) {
            expect((err as SregistryError).code).toBe('UNSAFE_PATH');
            return;
          }
          expect(posix.normalize(out).startsWith('/shub/') || posix.normalize(out) === '/shub/').toBe(true);
          expect(out.slice('/shub/'.length).split('/').length).toBe(Math.max(parts.length, 1));
        },
      ),
    );
  });
});

describe('file names', () => {
  it('parses image file names and ignores everything else', () => {
    expect(parseImageFileName(`v1@${V1}.sif`)).toEqual({ tag: 'v1', version: V1 });
    expect(parseImageFileName(`latest@${V2}.sif`)).toEqual({ tag: 'latest', version: V2 });
    for (const other of [
      `v1@${V1}.sif.json`,
      `.v1@${V1}.sif`,
      `.v1@upload-${UUID}.partial`,
      `v1@${V1.slice(1)}.sif`,
      `V1@${V1}.sif`,
      `v1@${'A'.repeat(64)}.sif`,
      'ubuntu.sif',
      MARKER,
      `v1@${V1}.sif~`,
      `a/b@${V1}.sif`,
    ]) {
      expect(parseImageFileName(other)).toBeUndefined();
    }
    expect(parseManifestFileName(`v1@${V1}.sif.json`)).toEqual({ tag: 'v1', version: V1 });
    expect(parseManifestFileName(`v1@${V1}.sif`)).toBeUndefined();
    expect(parseUploadFileName(`.v1@upload-${UUID}.partial`)).toEqual({ tag: 'v1', uploadId: UUID });
    expect(parseUploadFileName(`.v1@upload-xyz.partial`)).toBeUndefined();
  });

  it('parses names it builds (property)', () => {
    fc.assert(
      fc.property(versionedRefArb, (r) => {
        expect(parseImageFileName(posix.basename(imagePath('/shub/', r)))).toEqual({ tag: r.tag, version: r.version });
        expect(parseManifestFileName(posix.basename(manifestPath('/shub/', r)))).toEqual({
          tag: r.tag,
          version: r.version,
        });
        expect(parseImageFileName(posix.basename(uploadPath('/shub/', r, UUID)))).toBeUndefined();
      }),
    );
  });
});

describe('marker', () => {
  it('round-trips and records the client', () => {
    const text = markerContent('client-1', new Date('2024-01-02T03:04:05Z'));
    expect(JSON.parse(text)).toEqual({ layout: 2, created: '2024-01-02T03:04:05.000Z', created_by: 'client-1' });
    expect(parseMarker(text)).toEqual({ layout: 2, created: '2024-01-02T03:04:05.000Z', created_by: 'client-1' });
    expect(parseMarker('{"layout": 1}')).toEqual({ layout: 1 });
    expect(parseMarker('{"layout": 2}')).toEqual({ layout: 2 });
  });

  it('refuses unknown layouts and garbage', () => {
    const err = errorOf(() => parseMarker('{"layout": 3}'));
    expect(err.code).toBe('INVALID_RESPONSE');
    expect(err.message).toContain('layout 3');
    expect(err.message).toContain('upgrade');
    expect(errorOf(() => parseMarker('nope')).code).toBe('INVALID_RESPONSE');
    expect(errorOf(() => parseMarker('{"layout": "1"}')).code).toBe('INVALID_RESPONSE');
    expect(errorOf(() => parseMarker('[]')).code).toBe('INVALID_RESPONSE');
  });
});

describe('layout 2 names', () => {
  const v = 'ab'.repeat(32);
  it('names a version by its hash and a tag by version and stamp, and reads them back', () => {
    expect(versionFileName(v)).toBe(`sha256.${v}.sif`);
    expect(versionFilePath('/shub/', { collection: 'lab', name: 'app' }, v)).toBe(`/shub/lab/app/sha256.${v}.sif`);
    const stamp = formatStamp(new Date('2024-01-15T01:45:50.123Z'));
    expect(stamp).toBe('20240115T014550123Z');
    expect(parseStamp(stamp)).toBe(Date.parse('2024-01-15T01:45:50.123Z'));
    expect(tagManifestPath('/shub/', { collection: 'lab', name: 'app', tag: 'v1.0', version: v }, stamp)).toBe(
      `/shub/lab/app/v1.0@${v}.20240115T014550123Z.json`,
    );
    expect(parseTagManifestName(`v1.0@${v}.${stamp}.json`)).toEqual({
      tag: 'v1.0',
      version: v,
      stamp,
      published: Date.parse('2024-01-15T01:45:50.123Z'),
    });
    expect(parseVersionFileName(`sha256.${v}.sif`)).toBe(v);
  });

  it('keeps the two layouts apart and refuses what is neither', () => {
    expect(parseTagManifestName(`v1@${v}.sif.json`)).toBeUndefined();
    expect(parseManifestFileName(`v1@${v}.20240115T014550123Z.json`)).toBeUndefined();
    expect(parseImageFileName(`sha256.${v}.sif`)).toBeUndefined();
    expect(parseVersionFileName(`v1@${v}.sif`)).toBeUndefined();
    for (const bad of [
      `.v1@${v}.20240115T014550123Z.json`,
      `v1@${v}.2024011T014550123Z.json`,
      `v1@${v.slice(1)}.20240115T014550123Z.json`,
      `v1@${v}.20241315T014550123Z.json`,
    ]) {
      expect(parseTagManifestName(bad)).toBeUndefined();
    }
    expect(parseVersionFileName(`sha256.${v.toUpperCase()}.sif`)).toBeUndefined();
  });

  it("orders a tag by the server's time: a tag moved back names the older version again, the stamp only breaks a tie", () => {
    const a = '1'.repeat(64);
    const b = '2'.repeat(64);
    const entries = [
      { name: `sha256.${a}.sif`, type: 'file', size: 10, last_modified: '2024-01-01 00:00:00+00:00' },
      { name: `sha256.${b}.sif`, type: 'file', size: 20, last_modified: '2024-01-02 00:00:00+00:00' },
      {
        name: `latest@${a}.20240101T000000000Z.json`,
        type: 'file',
        size: 300,
        last_modified: '2024-01-01 00:00:05+00:00',
      },
      {
        name: `latest@${b}.20240102T000000000Z.json`,
        type: 'file',
        size: 300,
        last_modified: '2024-01-02 00:00:00+00:00',
      },
      { name: `v1@${b}.20240102T000000000Z.json`, type: 'file', size: 300 },
      { name: `gone@${'3'.repeat(64)}.20240103T000000000Z.json`, type: 'file', size: 300 },
    ];
    const versions = indexListing(entries);
    expect(newestVersion(versions, 'latest')).toMatchObject({
      version: b,
      size: 20,
      imageName: `sha256.${b}.sif`,
      manifestName: `latest@${b}.20240102T000000000Z.json`,
    });
    const at = (day: string, stamp: string, v: string, lm: string) => ({
      name: `latest@${v}.${stamp}.json`,
      type: 'file',
      size: 300,
      last_modified: `2024-01-${day} ${lm}+00:00`,
    });
    const moved = indexListing([...entries, at('04', '20240104T000000000Z', a, '00:00:00')]);
    expect(newestVersion(moved, 'latest')).toMatchObject({
      version: a,
      manifestName: `latest@${a}.20240104T000000000Z.json`,
    });
    // A writer whose clock is behind stamps its manifest in the past: it still arrived last.
    const behind = indexListing([...entries, at('05', '20231201T000000000Z', a, '00:00:00')]);
    expect(newestVersion(behind, 'latest')?.version).toBe(a);
    // Within the second Globus lists times to, the stamp breaks the tie; equal stamps then the image's time.
    const sameSecond = indexListing([
      ...entries,
      at('06', '20240106T000000002Z', a, '12:00:00'),
      at('06', '20240106T000000001Z', b, '12:00:00'),
    ]);
    expect(newestVersion(sameSecond, 'latest')?.version).toBe(a);
    const equal = indexListing([
      ...entries,
      at('06', '20240106T000000001Z', a, '12:00:00'),
      at('06', '20240106T000000001Z', b, '12:00:00'),
    ]);
    expect(newestVersion(equal, 'latest')?.version).toBe(b);
    // A manifest without a listed time falls back to its stamp.
    expect(newestVersion(versions, 'v1')?.version).toBe(b);
    // A manifest whose version file is missing is not complete.
    expect(newestVersion(versions, 'gone')).toBeUndefined();
  });

  it('ignores a manifest stamped more than 5 minutes after the time the server gave it, and marks it future', () => {
    const a = '1'.repeat(64);
    const b = '2'.repeat(64);
    const entries = [
      { name: `sha256.${a}.sif`, type: 'file', size: 10, last_modified: '2024-01-01 00:00:00+00:00' },
      { name: `sha256.${b}.sif`, type: 'file', size: 20, last_modified: '2024-01-01 00:00:00+00:00' },
      {
        name: `latest@${a}.20240101T000000000Z.json`,
        type: 'file',
        size: 300,
        last_modified: '2024-01-01 00:00:00+00:00',
      },
      // Planted to pin the tag, and a clock 3 hours ahead; written later than the honest one.
      {
        name: `latest@${b}.29991231T000000000Z.json`,
        type: 'file',
        size: 300,
        last_modified: '2024-01-01 00:01:00+00:00',
      },
      {
        name: `latest@${b}.20240101T030100000Z.json`,
        type: 'file',
        size: 300,
        last_modified: '2024-01-01 00:01:00+00:00',
      },
      // Four minutes ahead is within the skew: it counts.
      { name: `v1@${b}.20240101T000400000Z.json`, type: 'file', size: 300, last_modified: '2024-01-01 00:00:00+00:00' },
    ];
    const folder = readFolder(entries);
    expect(
      folder.manifests
        .filter((m) => m.future)
        .map((m) => m.name)
        .sort(),
    ).toEqual([`latest@${b}.20240101T030100000Z.json`, `latest@${b}.29991231T000000000Z.json`]);
    const versions = indexListing(entries);
    expect(newestVersion(versions, 'latest')?.version).toBe(a);
    expect(newestVersion(versions, 'v1')?.version).toBe(b);
    expect(isFutureManifest(Date.UTC(2024, 0, 1, 0, 5, 1), Date.UTC(2024, 0, 1), undefined)).toBe(true);
    expect(isFutureManifest(Date.UTC(2024, 0, 1, 0, 5, 0), Date.UTC(2024, 0, 1), undefined)).toBe(false);
    expect(STAMP_SKEW_MS).toBe(5 * 60 * 1000);
  });
});

describe('manifest', () => {
  const built = (): Manifest =>
    buildManifest({
      endpoint: UUID,
      ref,
      size: 1234,
      pushedBy: 'client-1',
      created: new Date('2024-05-06T07:08:09Z'),
      source: { git_sha: 'abc123', run_url: 'https://ci.example/run/1' },
      labels: { maintainer: 'lab', 'org.label-schema.version': '1.0' },
    });

  it('builds every field', () => {
    expect(built()).toEqual({
      uri: `globus://${UUID}/lab/ubuntu:v1@${V1}`,
      collection: 'lab',
      name: 'ubuntu',
      tag: 'v1',
      version: V1,
      size: 1234,
      sha256: V1,
      created: '2024-05-06T07:08:09.000Z',
      pushed_by: 'client-1',
      source: { git_sha: 'abc123', run_url: 'https://ci.example/run/1' },
      labels: { maintainer: 'lab', 'org.label-schema.version': '1.0' },
    });
  });

  it('round-trips through text and checks the path it was read from', () => {
    const m = built();
    expect(parseManifest(manifestText(m), ref)).toEqual(m);
    expect(parseManifest(manifestText(m))).toEqual(m);
    const err = errorOf(() => parseManifest(manifestText(m), { ...ref, tag: 'v2' }));
    expect(err.code).toBe('INVALID_RESPONSE');
    expect(err.message).toContain('tag');
    expect(errorOf(() => parseManifest(manifestText(m), { ...ref, version: V2 })).code).toBe('INVALID_RESPONSE');
  });

  it('drops unknown top-level keys', () => {
    const extra = { ...built(), future: { x: 1 } };
    expect(parseManifest(JSON.stringify(extra))).toEqual(built());
  });

  const tamper: [string, (m: Record<string, unknown>) => void][] = [
    ['name leaving the root', (m) => (m.name = '..')],
    ['collection with a slash', (m) => (m.collection = 'a/b')],
    ['hidden tag', (m) => (m.tag = '.v1')],
    ['version not hex', (m) => (m.version = 'x'.repeat(64))],
    ['sha256 differing from version', (m) => (m.sha256 = V2)],
    ['uri naming another image', (m) => (m.uri = `globus://${UUID}/lab/other:v1@${V1}`)],
    ['uri without version', (m) => (m.uri = `globus://${UUID}/lab/ubuntu:v1`)],
    ['uri not globus', (m) => (m.uri = 'https://x/y')],
    ['negative size', (m) => (m.size = -1)],
    ['fractional size', (m) => (m.size = 1.5)],
    ['size as text', (m) => (m.size = '12')],
    ['bad created', (m) => (m.created = 'yesterday')],
    ['empty pushed_by', (m) => (m.pushed_by = '')],
    ['missing uri', (m) => delete m.uri],
    ['source not an object', (m) => (m.source = 'x')],
    ['source with a number', (m) => (m.source = { git_sha: 1 })],
    ['source with a bad key', (m) => (m.source = { 'Bad Key': 'x' })],
    ['labels not strings', (m) => (m.labels = { a: 1 })],
    ['labels an array', (m) => (m.labels = ['a'])],
  ];
  it.each(tamper)('refuses a manifest with %s', (_what, change) => {
    const m = built() as unknown as Record<string, unknown>;
    change(m);
    const err = errorOf(() => parseManifest(JSON.stringify(m)));
    expect(err.code).toBe('INVALID_RESPONSE');
    expect(err.message).toMatch(/^Manifest .* is unusable: .*; re-push the image to rewrite it$/);
  });

  it('refuses non-JSON, non-objects and huge texts', () => {
    expect(errorOf(() => parseManifest('{')).code).toBe('INVALID_RESPONSE');
    expect(errorOf(() => parseManifest('null')).code).toBe('INVALID_RESPONSE');
    expect(errorOf(() => parseManifest(' '.repeat(1024 * 1024 + 1))).code).toBe('INVALID_RESPONSE');
  });

  it('buildManifest validates its input', () => {
    expect(errorOf(() => buildManifest({ endpoint: UUID, ref, size: -5, pushedBy: 'c' })).code).toBe(
      'INVALID_RESPONSE',
    );
    expect(
      errorOf(() => buildManifest({ endpoint: UUID, ref: { ...ref, name: 'A/B' }, size: 1, pushedBy: 'c' })).code,
    ).toBe('INVALID_REFERENCE');
  });
});

describe('newest complete version', () => {
  const ls = (name: string, last_modified: string, type = 'file') => ({ name, type, size: 10, last_modified });

  it('parses Globus listing times', () => {
    expect(parseListingTime('2021-01-15 01:45:50+00:00')).toBe(Date.UTC(2021, 0, 15, 1, 45, 50));
    expect(parseListingTime('2021-01-15T01:45:50Z')).toBe(Date.UTC(2021, 0, 15, 1, 45, 50));
    expect(parseListingTime('junk')).toBeUndefined();
    expect(parseListingTime(null)).toBeUndefined();
  });

  it('picks the newest version whose manifest exists', () => {
    const entries = indexListing([
      ls(`v1@${V1}.sif`, '2024-01-01 00:00:00+00:00'),
      ls(`v1@${V1}.sif.json`, '2024-01-01 00:00:01+00:00'),
      ls(`v1@${V2}.sif`, '2024-02-01 00:00:00+00:00'),
      ls(`v1@${V2}.sif.json`, '2024-02-01 00:00:01+00:00'),
      // newest image, but its manifest is not there yet: incomplete
      ls(`v1@${V3}.sif`, '2024-03-01 00:00:00+00:00'),
      ls(`.v1@upload-${UUID}.partial`, '2024-04-01 00:00:00+00:00'),
      ls(`v2@${V3}.sif`, '2024-03-01 00:00:00+00:00'),
      ls(`v2@${V3}.sif.json`, '2024-03-01 00:00:00+00:00'),
      ls('notes.txt', '2024-05-01 00:00:00+00:00'),
      ls(`v1@${V1}.sif`, '2030-01-01 00:00:00+00:00', 'dir'),
    ]);
    expect(entries.map((e) => `${e.tag}@${e.version[0]}:${e.hasManifest}`)).toEqual([
      'v1@1:true',
      'v1@2:true',
      'v1@3:false',
      'v2@3:true',
    ]);
    expect(newestVersion(entries, 'v1')?.version).toBe(V2);
    expect(newestVersion(entries, 'v2')?.version).toBe(V3);
    expect(newestVersion(entries, 'v3')).toBeUndefined();
  });

  it('judges by the manifest time, then the image time, then the version', () => {
    const byManifest = indexListing([
      ls(`t@${V1}.sif`, '2020-01-01 00:00:00+00:00'), // preserved old mtime
      ls(`t@${V1}.sif.json`, '2024-06-01 00:00:00+00:00'),
      ls(`t@${V2}.sif`, '2024-01-01 00:00:00+00:00'),
      ls(`t@${V2}.sif.json`, '2024-01-01 00:00:00+00:00'),
    ]);
    expect(newestVersion(byManifest, 't')?.version).toBe(V1);
    const tie = indexListing([
      ls(`t@${V2}.sif`, '2024-01-01 00:00:00+00:00'),
      ls(`t@${V2}.sif.json`, '2024-01-01 00:00:00+00:00'),
      ls(`t@${V1}.sif`, '2024-01-01 00:00:00+00:00'),
      ls(`t@${V1}.sif.json`, '2024-01-01 00:00:00+00:00'),
    ]);
    expect(newestVersion(tie, 't')?.version).toBe(V2);
    expect(newestVersion([...tie].reverse(), 't')?.version).toBe(V2);
  });
});

describe('checkSegment', () => {
  it('returns good segments unchanged', () => {
    expect(checkSegment('ubuntu')).toBe('ubuntu');
    expect(errorOf(() => checkSegment(undefined)).code).toBe('UNSAFE_PATH');
  });
});
