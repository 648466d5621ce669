/**
 * Snapshots of what people read: the general help, each command's help, and the tables
 * rendered from fixed results (a long name, a long path, a full version, sizes of
 * different widths). Every line stays within 120 columns, and a command's help shows its
 * own options and only names the shared ones.
 */
import { describe, expect, it } from '@jest/globals';
import { COMMANDS } from '../../src/cli/main.js';
import { commandHelp, generalHelp } from '../../src/cli/help.js';
import { GLOBUS_HELP, OUTPUT_HELP } from '../../src/cli/args.js';
import { TABLE_WIDTH, formatTime } from '../../src/cli/output.js';
import { imageTable, localTable, searchTable } from '../../src/cli/commands/show.js';
import type { ImageResult, LocalImage, SearchHit } from '../../src/index.js';

const widths = (text: string): number[] => text.split('\n').map((l) => [...l].length);
const V = (c: string) => c.repeat(64);
const ENDPOINT = '6c4d0e3a-0000-4000-8000-000000000001';

describe('help', () => {
  it('the general help explains the shared options and the environment once', () => {
    const text = generalHelp(COMMANDS);
    expect(Math.max(...widths(text))).toBeLessThanOrEqual(TABLE_WIDTH);
    for (const o of [...GLOBUS_HELP, ...OUTPUT_HELP]) expect(text).toContain(o.flag);
    expect(text).toMatchSnapshot();
  });

  it.each(COMMANDS.map((c) => [c.name, c] as const))(
    '%s --help: its own options, the shared ones only named',
    (_name, spec) => {
      const text = commandHelp(spec);
      expect(Math.max(...widths(text))).toBeLessThanOrEqual(TABLE_WIDTH);
      for (const o of spec.optionHelp) expect(text).toContain(o.flag);
      if (!spec.standalone) {
        expect(text).toContain('Shared options (explained in "sregistry-globus --help"):');
        // Named, not explained: no shared option's text is repeated here.
        for (const o of [...GLOBUS_HELP, ...OUTPUT_HELP]) expect(text).not.toContain(o.text);
        expect(text).not.toContain('Environment:');
      }
      expect(text.split('\n').length).toBeLessThanOrEqual(40);
      expect(text).toMatchSnapshot();
    },
  );
});

describe('tables', () => {
  const pushed: ImageResult[] = ['release-candidate-2026-12-07', 'latest'].map((tag, i) => ({
    status: i === 0 ? 'pushed' : 'exists',
    collection: 'a-rather-long-collection-name',
    name: 'an-image-with-a-long-name-too',
    tag,
    version: V('a'),
    sha256: V('a'),
    size: i === 0 ? 1234567890 : 512,
    endpoint: ENDPOINT,
    path: `/shub/a-rather-long-collection-name/an-image-with-a-long-name-too/${tag}@${V('a')}.sif`,
    uri: `globus://${ENDPOINT}/a-rather-long-collection-name/an-image-with-a-long-name-too:${tag}@${V('a')}`,
    transport: 'https',
  })) as ImageResult[];

  const local: LocalImage[] = [
    {
      uri: `lab/app:v1@${V('b')}`,
      collection: 'lab',
      name: 'app',
      tag: 'v1',
      version: V('b'),
      image: `/home/someone/.singularity/shub/lab/app/v1@${V('b')}.sif`,
      url: `globus://${ENDPOINT}/lab/app:v1@${V('b')}`,
      createdAt: '2026-12-07 02:44:40.146000',
    },
    {
      uri: `a-rather-long-collection-name/an-image-with-a-long-name-too:latest@${V('c')}`,
      collection: 'a-rather-long-collection-name',
      name: 'an-image-with-a-long-name-too',
      tag: 'latest',
      version: V('c'),
      image: `/scratch/projects/with/a/deep/folder/tree/.singularity/shub/a-rather-long-collection-name/an-image-with-a-long-name-too/latest@${V('c')}.sif`,
      url: null,
      createdAt: '2026-12-07 02:44:39.972000',
    },
    {
      uri: null,
      collection: 'lab',
      name: 'recorded',
      tag: 'latest',
      version: V('d'),
      image: null,
      url: `globus://${ENDPOINT}/lab/recorded:latest`,
      createdAt: null,
    },
  ];

  const hits: SearchHit[] = [
    {
      kind: 'image',
      uri: `globus://${ENDPOINT}/lab/app:v1`,
      image: {
        collection: 'lab',
        name: 'app',
        tag: 'v1',
        version: V('e'),
        size: 300000,
        lastModified: '2026-12-07T02:44:39.863Z',
      },
    },
    {
      kind: 'image',
      uri: `globus://${ENDPOINT}/lab/app:latest`,
      image: {
        collection: 'lab',
        name: 'app',
        tag: 'latest',
        version: V('e'),
        size: 2_000_000_000,
        lastModified: '2026-12-07T02:44:40.000Z',
      },
    },
  ] as SearchHit[];

  it.each([
    ['push', () => imageTable(pushed)],
    ['images', () => localTable(local)],
    ['search', () => searchTable(hits, 'app', ENDPOINT)],
  ])('%s fits in 120 columns, versions short, sizes right-aligned', (_what, render) => {
    const text = render();
    expect(Math.max(...widths(text))).toBeLessThanOrEqual(TABLE_WIDTH);
    expect(text).not.toMatch(/[0-9a-f]{13}/);
    expect(text).toMatchSnapshot();
  });

  it('shows times one way, with the zone', () => {
    expect(formatTime('2026-12-07 02:44:40.146000')).toBe('2026-12-07 02:44:40 UTC');
    expect(formatTime('2026-12-07T02:44:39.863Z')).toBe('2026-12-07 02:44:39 UTC');
    expect(formatTime('2026-12-07T03:44:39+01:00')).toBe('2026-12-07 02:44:39 UTC');
    expect(formatTime(Date.UTC(2026, 11, 7, 2, 44, 39))).toBe('2026-12-07 02:44:39 UTC');
    expect(formatTime(null)).toBe('-');
    expect(formatTime('yesterday')).toBe('yesterday');
  });
});
