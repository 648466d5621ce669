import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { SregistryError } from '../../src/core/errors.js';
import { DESCRIPTOR_SIZE, HEADER_SIZE, SifDataType, readSif, sniffImageFile, writeSif } from '../../src/core/sif.js';

const DEF = 'Bootstrap: docker\nFrom: alpine:3.20\n\n%labels\n  maintainer lab\n';
const ID = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
/** Sylabs' own siftool (Debian package `siftool`), when this machine has it, cross-checks the format. */
const hasSiftool = spawnSync('siftool', ['version'], { stdio: 'ignore' }).status === 0;

describe('SIF', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sif-test-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes a file it can read back', async () => {
    const path = join(dir, 'a.sif');
    const payload = randomBytes(10_000);
    const { size } = await writeSif(path, {
      definition: DEF,
      labels: { maintainer: 'lab', 'org.label-schema.build-date': '2024-05-06' },
      payloadBytes: payload,
      arch: 'arm64',
      created: new Date('2024-05-06T07:08:09Z'),
      id: ID,
    });
    expect((await stat(path)).size).toBe(size);
    expect(await readSif(path)).toEqual({
      id: ID,
      created: '2024-05-06T07:08:09.000Z',
      modified: '2024-05-06T07:08:09.000Z',
      arch: 'arm64',
      definition: DEF,
      labels: { maintainer: 'lab', 'org.label-schema.build-date': '2024-05-06' },
    });
    // The payload sits intact at the end, in a 4096-aligned partition.
    const bytes = await readFile(path);
    expect(bytes.subarray(bytes.length - payload.length).equals(payload)).toBe(true);
    expect((bytes.length - payload.length) % 4096).toBe(0);
  });

  it('writes the header and descriptors where the format puts them', async () => {
    const path = join(dir, 'layout.sif');
    await writeSif(path, { definition: 'x', payloadBytes: Buffer.from('squash') });
    const b = await readFile(path);
    expect(b.toString('latin1', 0, 31)).toBe('#!/usr/bin/env run-singularity\n');
    expect(b.toString('latin1', 32, 42)).toBe('SIF_MAGIC\0');
    expect(b.toString('latin1', 42, 45)).toBe('01\0');
    expect(b.toString('latin1', 45, 48)).toBe('02\0'); // amd64
    const total = Number(b.readBigInt64LE(88));
    const free = Number(b.readBigInt64LE(80));
    const descOffset = Number(b.readBigInt64LE(96));
    expect(total - free).toBe(2);
    const types = [0, 1].map((i) => b.readInt32LE(descOffset + i * DESCRIPTOR_SIZE));
    expect(types).toEqual([SifDataType.Deffile, SifDataType.Partition]);
    const part = descOffset + DESCRIPTOR_SIZE;
    expect(b.readUInt8(part + 4)).toBe(1); // used
    expect(b.readInt32LE(part + 201)).toBe(1); // squashfs
    expect(b.readInt32LE(part + 205)).toBe(2); // primary system partition
    const off = Number(b.readBigInt64LE(part + 17));
    const len = Number(b.readBigInt64LE(part + 25));
    expect(b.toString('latin1', off, off + len)).toBe('squash');
    expect(HEADER_SIZE).toBe(128);
  });

  it('streams a payload and omits absent parts', async () => {
    const path = join(dir, 'stream.sif');
    const chunks = [randomBytes(70_000), randomBytes(5), randomBytes(70_000)];
    await writeSif(path, { payloadStream: Readable.from(chunks) });
    const info = await readSif(path);
    expect(info?.definition).toBeUndefined();
    expect(info?.labels).toBeUndefined();
    expect(info?.arch).toBe('amd64');
    const b = await readFile(path);
    expect(b.subarray(b.length - 140_005).equals(Buffer.concat(chunks))).toBe(true);
  });

  it('writes a valid file with an empty payload', async () => {
    const path = join(dir, 'empty-payload.sif');
    await writeSif(path, { labels: { a: 'b' } });
    expect((await readSif(path))?.labels).toEqual({ a: 'b' });
  });

  it('reads labels keyed by partition, as older Singularity wrote them', async () => {
    const path = join(dir, 'nested.sif');
    await writeSif(path, { labels: { placeholder: 'x'.repeat(60) } });
    // Replace the flat labels object in place with the nested shape, same length.
    const fh = await open(path, 'r+');
    const nested = JSON.stringify({ 'system-partition': { maintainer: 'old' }, app: { z: 'y' } });
    const b = await readFile(path);
    const descOffset = Number(b.readBigInt64LE(96));
    const off = Number(b.readBigInt64LE(descOffset + 17));
    await fh.write(Buffer.from(nested.padEnd(Number(b.readBigInt64LE(descOffset + 25)), ' ')), 0, undefined, off);
    await fh.close();
    expect((await readSif(path))?.labels).toEqual({ maintainer: 'old' });
  });

  // CI installs siftool (.ci/run), so there the check always runs; elsewhere it needs the package.
  (hasSiftool || process.env.CI ? it : it.skip)('agrees with siftool in both directions', async () => {
    const ours = join(dir, 'ours.sif');
    await writeSif(ours, {
      definition: DEF,
      labels: { maintainer: 'lab' },
      payloadBytes: Buffer.from('payload'),
      id: ID,
    });
    const list = execFileSync('siftool', ['list', ours], { encoding: 'utf8' });
    expect(list).toMatch(/Def\.FILE/);
    expect(list).toMatch(/JSON\.Labels/);
    expect(list).toMatch(/FS \(Squashfs\/\*System\/amd64\)/);
    expect(execFileSync('siftool', ['header', ours], { encoding: 'utf8' })).toContain(ID);
    expect(execFileSync('siftool', ['dump', '1', ours], { encoding: 'utf8' })).toBe(DEF);
    expect(execFileSync('siftool', ['dump', '3', ours], { encoding: 'utf8' })).toBe('payload');

    const theirs = join(dir, 'theirs.sif');
    const labels = join(dir, 'labels.json');
    const def = join(dir, 'def');
    const part = join(dir, 'part.bin');
    await writeFile(labels, JSON.stringify({ 'system-partition': { a: 'b' } }));
    await writeFile(def, DEF);
    await writeFile(part, randomBytes(5000));
    execFileSync('siftool', ['new', theirs]);
    execFileSync('siftool', ['add', '--datatype', '1', theirs, def]);
    execFileSync('siftool', ['add', '--datatype', '3', theirs, labels]);
    execFileSync('siftool', [
      'add',
      '--datatype',
      '4',
      '--parttype',
      '2',
      '--partfs',
      '1',
      '--partarch',
      '4',
      theirs,
      part,
    ]);
    expect(await readSif(theirs)).toMatchObject({ arch: 'arm64', definition: DEF, labels: { a: 'b' } });
  });

  it('gives undefined for files that are not SIF', async () => {
    const empty = join(dir, 'empty');
    await writeFile(empty, '');
    expect(await readSif(empty)).toBeUndefined();
    const random = join(dir, 'random');
    await writeFile(random, randomBytes(100_000));
    expect(await readSif(random)).toBeUndefined();
    const text = join(dir, 'text.sif');
    await writeFile(text, 'Bootstrap: docker\n'.repeat(50));
    expect(await readSif(text)).toBeUndefined();
  });

  it('gives undefined, without throwing, for truncated and corrupt SIF files', async () => {
    const good = join(dir, 'good.sif');
    await writeSif(good, { definition: DEF, labels: { a: 'b' }, payloadBytes: randomBytes(9000) });
    const bytes = await readFile(good);

    const cutHeader = join(dir, 'cut-header.sif');
    await writeFile(cutHeader, bytes.subarray(0, 100));
    expect(await readSif(cutHeader)).toBeUndefined();

    const cutTable = join(dir, 'cut-table.sif');
    await writeFile(cutTable, bytes.subarray(0, 5000));
    expect(await readSif(cutTable)).toBeUndefined();

    const cutData = join(dir, 'cut-data.sif');
    await writeFile(cutData, bytes);
    await truncate(cutData, bytes.length - 100);
    expect(await readSif(cutData)).toBeUndefined();

    const hugeCount = Buffer.from(bytes);
    hugeCount.writeBigInt64LE(1n << 40n, 88);
    const huge = join(dir, 'huge.sif');
    await writeFile(huge, hugeCount);
    expect(await readSif(huge)).toBeUndefined();

    const negative = Buffer.from(bytes);
    negative.writeBigInt64LE(-1n, 96);
    const neg = join(dir, 'neg.sif');
    await writeFile(neg, negative);
    expect(await readSif(neg)).toBeUndefined();
  });

  it('never throws on random bytes behind a valid magic (property)', async () => {
    const path = join(dir, 'fuzz.sif');
    const header = Buffer.alloc(48);
    header.write('SIF_MAGIC\0', 32, 'latin1');
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), async (tail) => {
        await writeFile(path, Buffer.concat([header, tail]));
        const info = await readSif(path);
        expect(info === undefined || typeof info === 'object').toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('reports a missing file as LOCAL_IO', async () => {
    await expect(readSif(join(dir, 'missing.sif'))).rejects.toMatchObject({ code: 'LOCAL_IO' });
    await expect(readSif(join(dir, 'missing.sif'))).rejects.toBeInstanceOf(SregistryError);
  });

  it('refuses bad write options', async () => {
    await expect(writeSif(join(dir, 'x.sif'), { arch: 'z80' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(
      writeSif(join(dir, 'x.sif'), { payloadBytes: Buffer.alloc(1), payloadStream: Readable.from([]) }),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });
});

describe('sniffImageFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sregistry-sniff-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('tells a SIF by its magic and says what anything else looks like', async () => {
    const cases: [string, Buffer | undefined, string][] = [
      ['image.sif', undefined, 'a SIF image'],
      ['notes.sif', Buffer.from('meeting notes\n'), 'a text file'],
      [
        'legacy.simg',
        Buffer.concat([Buffer.from('hsqs'), Buffer.alloc(200, 1)]),
        'a squashfs image (a legacy Singularity .simg)',
      ],
      [
        'launch.img',
        Buffer.from('#!/usr/bin/env run-singularity\n'),
        'a script or a legacy Singularity image with a launch line',
      ],
      ['archive.sif', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]), 'a gzip file'],
      ['empty.sif', Buffer.alloc(0), 'an empty file'],
      ['binary.sif', Buffer.from([0, 1, 2, 3, 0xff]), 'a file without the SIF magic'],
    ];
    for (const [name, bytes, kind] of cases) {
      const path = join(dir, name);
      if (bytes) await writeFile(path, bytes);
      else await writeSif(path, { payloadBytes: Buffer.alloc(100, 1) });
      expect([name, await sniffImageFile(path)]).toEqual([name, { sif: kind === 'a SIF image', kind }]);
    }
    await expect(sniffImageFile(join(dir, 'missing.sif'))).rejects.toMatchObject({ code: 'LOCAL_IO' });
  });
});
