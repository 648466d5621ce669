/**
 * Load: many operations at once on one sandbox, with their results checked exactly.
 * - 200 pulls and records from 4 processes sharing one storage folder and database;
 * - 20 concurrent pushes of different tags of one image, plus 2 pushes of one tag with
 *   different bytes;
 * the Node-RED flow fed 1,000 messages is in test/nodered/load.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openRecords } from '../../src/core/records.js';
import { Registry } from '../../src/core/registry/registry.js';
import { isSregistryError } from '../../src/core/errors.js';
import { watchChild } from '../support/child.js';
import { fileSha256, imageBytes } from '../support/files.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { seedImage } from '../nodered/seed.js';
import { countConcurrent } from './ledger.js';

const REPO = resolve('.');
const LIB = pathToFileURL(join(REPO, 'lib', 'index.js')).href;
const PROCESSES = 4;
const PER_PROCESS = 50;
const IMAGES = 10;

let sb: TestSandbox;
const globus = () => ({
  clientId: sb.client.id,
  clientSecret: sb.client.secret,
  authUrl: `${sb.url}/`,
  transferUrl: `${sb.url}/`,
});

beforeAll(async () => {
  sb = await startTestSandbox();
});
afterAll(() => sb.stop());

/** Every file below `dir` whose name marks unfinished work (upload temps, PUT temps, partial downloads). */
async function hiddenPartials(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && /\.partial$|\.put-/.test(e.name)).map((e) => join(e.parentPath, e.name));
}

describe('load', () => {
  it(`${PROCESSES * PER_PROCESS} pulls and records from ${PROCESSES} processes on one storage and database: every one done, records exact`, async () => {
    const pulled: Record<string, string> = {};
    const recorded: Record<string, string> = {};
    for (let i = 0; i < IMAGES; i++) {
      pulled[`load/p${i}:v1`] = (await seedImage(sb, `load/p${i}:v1`, 32 * 1024)).version;
      recorded[`load/r${i}:v1`] = (await seedImage(sb, `load/r${i}:v1`, 4 * 1024)).version;
    }
    const uri = (ref: string) => `globus://${sb.collection.id}/${ref}`;
    const storage = join(sb.tmp, 'shared-storage');
    const database = join(sb.tmp, 'shared.db');
    // Each process pulls and records every image several times over, all at once.
    const share = (refs: string[], n: number, w: number) =>
      Array.from({ length: n }, (_, i) => uri(refs[(i + w) % refs.length]!));
    const workers = Array.from({ length: PROCESSES }, (_, w) => {
      const config = {
        globus: globus(),
        storage,
        database,
        pulls: share(Object.keys(pulled), PER_PROCESS / 2, w),
        records: share(Object.keys(recorded), PER_PROCESS / 2, w),
      };
      return watchChild(process.execPath, [
        '--no-warnings',
        join(REPO, 'test', 'reliability', 'load-worker.mjs'),
        LIB,
        JSON.stringify(config),
      ]).exited;
    });
    const ends = await Promise.all(workers);
    for (const end of ends) {
      expect(end.stderr).not.toMatch(/database is locked/i);
      expect(end.code).toBe(0);
      const report = JSON.parse(end.stdout) as { ok: number; failed: unknown[] };
      expect(report.failed).toEqual([]);
      expect(report.ok).toBe(PER_PROCESS);
    }

    const records = openRecords(database);
    try {
      const rows = records.list();
      expect(rows).toHaveLength(2 * IMAGES);
      for (const [ref, version] of Object.entries(pulled)) {
        const [collection, rest] = ref.split('/') as [string, string];
        const [name] = rest.split(':') as [string];
        const row = rows.filter((r) => r.collection === collection && r.name === name);
        expect(row).toHaveLength(1);
        expect(row[0]!.version).toBe(version);
        expect(row[0]!.image).toBe(join(storage, collection, name, `v1@${version}.sif`));
        expect(await fileSha256(row[0]!.image!)).toBe(version);
      }
      for (const [ref, version] of Object.entries(recorded)) {
        const [collection, rest] = ref.split('/') as [string, string];
        const [name] = rest.split(':') as [string];
        const row = rows.filter((r) => r.collection === collection && r.name === name);
        expect(row).toHaveLength(1);
        expect(row[0]!.version).toBe(version);
        expect(row[0]!.image).toBeNull();
        expect(row[0]!.url).toBe(uri(`${ref}@${version}`));
      }
    } finally {
      records.close();
    }
    expect(await hiddenPartials(storage)).toEqual([]);
    countConcurrent('pulls and records, one storage and database', PROCESSES * PER_PROCESS, PROCESSES);
  });

  it('20 concurrent pushes of different tags plus 2 of one tag with different bytes: each tag resolves to one complete, hash-correct version', async () => {
    const registry = new Registry({
      globus: globus(),
      transport: 'https',
      storage: join(sb.tmp, 'push-storage'),
      database: join(sb.tmp, 'push.db'),
    });
    try {
      const same = join(sb.tmp, 'same.sif');
      await writeFile(same, imageBytes(48 * 1024));
      const a = join(sb.tmp, 'contended-a.sif');
      const b = join(sb.tmp, 'contended-b.sif');
      await writeFile(a, imageBytes(40 * 1024));
      await writeFile(b, imageBytes(41 * 1024));
      const base = `globus://${sb.collection.id}/load/pushed`;
      const tags = Array.from({ length: 20 }, (_, i) => `t${i}`);
      const settled = await Promise.allSettled([
        ...tags.map((t) => registry.push(same, `${base}:${t}`)),
        registry.push(a, `${base}:contended`),
        registry.push(b, `${base}:contended`),
      ]);
      const failures = settled.slice(0, 20).filter((s) => s.status === 'rejected');
      expect(failures).toEqual([]);
      // Two writers of one tag: both may land (the newest complete version wins) or one may be refused with a typed error.
      const contended = settled.slice(20);
      expect(contended.some((s) => s.status === 'fulfilled')).toBe(true);
      for (const s of contended)
        if (s.status === 'rejected') expect(isSregistryError(s.reason) && /^[A-Z_]+$/.test(s.reason.code)).toBe(true);

      const sameVersion = await fileSha256(same);
      const allowed = new Set([await fileSha256(a), await fileSha256(b)]);
      for (const tag of [...tags, 'contended']) {
        const got = await registry.pull(`${base}:${tag}`);
        expect(await fileSha256(got.image!)).toBe(got.version);
        if (tag === 'contended') expect(allowed.has(got.version)).toBe(true);
        else expect(got.version).toBe(sameVersion);
      }
      expect(await hiddenPartials(sb.collection.root!)).toEqual([]);
      countConcurrent('pushes of one image: 20 tags and 2 writers of one tag', 22);
    } finally {
      await registry.close();
    }
  });
});
