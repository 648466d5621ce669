import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { openRecords, sqlTimestamp } from '../../src/core/records.js';

const V1 = '1'.repeat(64);
const V2 = '2'.repeat(64);
const here = dirname(fileURLToPath(import.meta.url));
const srcCore = join(here, '..', '..', 'src', 'core');

/** The schema sregistry-cli's SQLAlchemy models create in SQLite, as it would issue it. */
const SREGISTRY_CLI_SQL = `
CREATE TABLE collection (
	id INTEGER NOT NULL,
	name VARCHAR(150),
	token VARCHAR(50),
	created_at DATETIME,
	PRIMARY KEY (id),
	UNIQUE (name)
);
CREATE TABLE container (
	id INTEGER NOT NULL,
	created_at DATETIME,
	metrics TEXT NOT NULL,
	name VARCHAR(250) NOT NULL,
	tag VARCHAR(250) NOT NULL,
	image VARCHAR(250),
	url VARCHAR(500),
	uri VARCHAR(500),
	client VARCHAR(50) NOT NULL,
	version VARCHAR(250),
	collection_id INTEGER NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT _container_uc UNIQUE (collection_id, name, tag, client, version),
	FOREIGN KEY(collection_id) REFERENCES collection (id)
);
INSERT INTO collection (id, name, token, created_at) VALUES (1, 'vsoch', 'f5a1c3e2-0000-4000-8000-000000000001', '2019-03-01 10:00:00.000000');
INSERT INTO container (created_at, metrics, name, tag, image, url, uri, client, version, collection_id)
  VALUES ('2019-03-01 10:00:01.000000', '{"data": {"attributes": {"labels": {"a": "b"}}}}', 'hello-world', 'latest',
          '/home/u/.singularity/shub/vsoch/hello-world:latest@ed9755a0871f04db3e14971bec56a33f.sif', 'docker://vsoch/hello-world',
          'vsoch/hello-world:latest@ed9755a0871f04db3e14971bec56a33f', 'docker', 'ed9755a0871f04db3e14971bec56a33f', 1);
`;

describe('records', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'records-test-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('creates the database and its folder, and writes, reads, lists and removes records', () => {
    const file = join(dir, 'nested', 'sregistry.db');
    const records = openRecords(file);
    try {
      const a = records.upsert({
        collection: 'lab',
        name: 'ubuntu',
        tag: 'v1',
        version: V1,
        uri: `globus://ep/lab/ubuntu:v1@${V1}`,
        metrics: { size: 1 },
      });
      expect(a).toMatchObject({
        collection: 'lab',
        name: 'ubuntu',
        tag: 'v1',
        version: V1,
        client: 'globus',
        metrics: { size: 1 },
        image: null,
      });
      expect(a.createdAt).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
      // Same key: updated in place.
      const a2 = records.upsert({
        collection: 'lab',
        name: 'ubuntu',
        tag: 'v1',
        version: V1,
        image: '/s/x.sif',
        metrics: { size: 2 },
      });
      expect(a2.id).toBe(a.id);
      expect(a2.image).toBe('/s/x.sif');
      expect(a2.metrics).toEqual({ size: 2 });
      const b = records.upsert({ collection: 'lab', name: 'ubuntu', tag: 'v1', version: V2 });
      expect(b.id).not.toBe(a.id);
      records.upsert({ collection: 'other', name: 'centos', tag: 'latest', version: V1 });

      expect(records.get({ collection: 'lab', name: 'ubuntu', tag: 'v1' })?.id).toBe(b.id);
      expect(records.get({ collection: 'lab', name: 'ubuntu', tag: 'v1', version: V1 })?.id).toBe(a.id);
      expect(records.get({ collection: 'lab', name: 'ubuntu', tag: 'v2' })).toBeUndefined();

      expect(records.list().length).toBe(3);
      expect(records.list('UBUNTU:V1').length).toBe(2);
      expect(records.list('other/').map((r) => r.name)).toEqual(['centos']);
      expect(records.list('%')).toEqual([]);
      expect(records.list('_')).toEqual([]);

      expect(records.remove({ collection: 'lab', name: 'ubuntu', tag: 'v1', version: V2 })).toBe(1);
      expect(records.get({ collection: 'lab', name: 'ubuntu', tag: 'v1' })?.id).toBe(a.id);
      expect(records.remove({ collection: 'lab', name: 'ubuntu', tag: 'v1' })).toBe(1);
      expect(records.list('lab/')).toEqual([]);
    } finally {
      records.close();
    }
    const raw = new DatabaseSync(file);
    expect((raw.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe('wal');
    raw.close();
  });

  it('keeps one row per key even without a version (NULL is not unique in SQLite)', () => {
    const records = openRecords(join(dir, 'nullversion.db'));
    try {
      const a = records.upsert({ collection: 'lab', name: 'x', tag: 'latest' });
      const b = records.upsert({ collection: 'lab', name: 'x', tag: 'latest', url: 'u' });
      expect(b.id).toBe(a.id);
      expect(records.list().length).toBe(1);
    } finally {
      records.close();
    }
  });

  it('refuses names outside the grammar', () => {
    const records = openRecords(join(dir, 'bad.db'));
    try {
      expect(() => records.upsert({ collection: '..', name: 'x', tag: 'latest' })).toThrow(
        expect.objectContaining({ code: 'INVALID_REFERENCE' }),
      );
      expect(records.list()).toEqual([]);
    } finally {
      records.close();
    }
  });

  it('uses a database created by sregistry-cli as it is', () => {
    const file = join(dir, 'cli.db');
    const raw = new DatabaseSync(file);
    raw.exec(SREGISTRY_CLI_SQL);
    raw.close();

    const records = openRecords(file);
    try {
      const old = records.get({ collection: 'vsoch', name: 'hello-world', tag: 'latest' });
      expect(old).toMatchObject({
        client: 'docker',
        url: 'docker://vsoch/hello-world',
        metrics: { data: { attributes: { labels: { a: 'b' } } } },
      });
      const mine = records.upsert({
        collection: 'vsoch',
        name: 'hello-world',
        tag: 'latest',
        version: V1,
        url: 'globus://ep/vsoch/hello-world:latest',
      });
      expect(mine.client).toBe('globus');
      expect(records.list('vsoch/').length).toBe(2);
      expect(records.list('vsoch/', { client: 'globus' }).map((r) => r.id)).toEqual([mine.id]);
      expect(records.get({ collection: 'vsoch', name: 'hello-world', tag: 'latest' }, { client: 'docker' })?.id).toBe(
        old?.id,
      );
    } finally {
      records.close();
    }

    const check = new DatabaseSync(file);
    // The collection row was reused, the original table (and its constraint) kept.
    expect(check.prepare('SELECT COUNT(*) AS n FROM collection').get()).toEqual({ n: 1 });
    const ddl = check.prepare("SELECT sql FROM sqlite_master WHERE name = 'container'").get() as { sql: string };
    expect(ddl.sql).toContain('_container_uc');
    expect(() =>
      check.exec(
        `INSERT INTO container (metrics, name, tag, client, version, collection_id) VALUES ('{}', 'hello-world', 'latest', 'globus', '${V1}', 1)`,
      ),
    ).toThrow(/UNIQUE/);
    const row = check.prepare("SELECT created_at, metrics FROM container WHERE client = 'globus'").get() as {
      created_at: string;
      metrics: string;
    };
    expect(JSON.parse(row.metrics)).toEqual({});
    expect(row.created_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    check.close();
  });

  it('writes the time as SQLAlchemy stores DateTime in SQLite', () => {
    expect(sqlTimestamp(new Date('2024-01-02T03:04:05.678Z'))).toBe('2024-01-02 03:04:05.678000');
  });

  it('loses no rows with many connections in one process', async () => {
    const file = join(dir, 'inprocess.db');
    const conns = Array.from({ length: 6 }, () => openRecords(file));
    try {
      await Promise.all(
        conns.map(async (records, w) => {
          for (let i = 0; i < 40; i++) {
            records.upsert({ collection: `c${w}`, name: `n${i}`, tag: 'latest', version: V1 });
            await new Promise((r) => setImmediate(r));
          }
        }),
      );
      expect(conns[0]?.list().length).toBe(240);
    } finally {
      for (const c of conns) c.close();
    }
  });

  it('loses no rows and hits no SQLITE_BUSY with four writer processes', async () => {
    // Compile the real modules for plain node (errors, uri, records) into a temp folder.
    const lib = join(dir, 'lib');
    await mkdir(lib, { recursive: true });
    for (const name of ['errors', 'uri', 'records']) {
      const source = await readFile(join(srcCore, `${name}.ts`), 'utf8');
      const out = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      });
      await writeFile(join(lib, `${name}.js`), out.outputText);
    }
    const file = join(dir, 'multiprocess.db');
    const run = (worker: number): Promise<{ code: number | null; stderr: string }> =>
      new Promise((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [
            '--no-warnings',
            join(here, 'records-writer.mjs'),
            pathToFileURL(join(lib, 'records.js')).href,
            file,
            String(worker),
            '50',
          ],
          { stdio: ['ignore', 'ignore', 'pipe'] },
        );
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stderr }));
      });
    const results = await Promise.all([0, 1, 2, 3].map(run));
    for (const r of results) {
      expect(r.stderr).not.toMatch(/SQLITE_BUSY|locked/i);
      expect(r.code).toBe(0);
    }
    const records = openRecords(file);
    try {
      for (let w = 0; w < 4; w++) expect(records.list(`w${w}/`).length).toBe(50);
      expect(records.list('shared/').length).toBe(5);
    } finally {
      records.close();
    }
  });
});
