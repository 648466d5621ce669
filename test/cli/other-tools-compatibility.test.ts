/**
 * What sregistry-cli and globus-cli users bring along, through the real CLI
 * process against a sandbox: SREGISTRY_DATABASE as sregistry-cli's folder, records both
 * tools read, names both resolve, the endpoint:path forms, get/add/rm, a safe delete,
 * -F json|unix|text, globus-cli's credentials and a secret file, exit 2 for bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSif } from '../../src/core/sif.js';
import { fileSha256 } from '../support/files.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { addAsSregistryCli, createSregistryCliDatabase, getAsSregistryCli, tableSql } from './sregistry-cli-db.js';
import { assertBuilt, BIN, Cli, json, leakedSecrets, REPO, sandboxEnv } from './support.js';

interface Local {
  collection: string;
  name: string;
  tag: string;
  version: string | null;
  image: string | null;
  uri: string | null;
}

describe('at home for sregistry-cli and globus-cli users (real process, sandbox)', () => {
  let sb: TestSandbox;
  let cli: Cli;
  let env: NodeJS.ProcessEnv;
  /** SREGISTRY_DATABASE: the folder; sregistry-cli opens <folder>/sregistry.db. */
  let dbFolder: string;
  let dbFile: string;
  let file: string;
  let sha: string;
  let remote: string;

  beforeAll(async () => {
    assertBuilt();
    sb = await startTestSandbox();
    dbFolder = join(sb.tmp, 'shared-db');
    await mkdir(dbFolder, { recursive: true });
    dbFile = join(dbFolder, 'sregistry.db');
    createSregistryCliDatabase(dbFile);
    env = { ...(await sandboxEnv(sb)), SREGISTRY_DATABASE: dbFolder };
    cli = new Cli(env);
    file = join(sb.tmp, 'tool.sif');
    await writeSif(file, { labels: { maintainer: 'habits' }, payloadBytes: Buffer.alloc(16 * 1024, 3) });
    sha = await fileSha256(file);
    remote = `globus://${sb.collection.id}/lab/tool`;
    const pushed = await cli.run(['push', file, `${remote}:latest`, '--tag', 'v1', '--transport', 'https', '--json']);
    expect(pushed.code).toBe(0);
  });
  afterAll(() => sb.stop());

  describe('one records database for both tools', () => {
    it('reads a record sregistry-cli wrote into <SREGISTRY_DATABASE>/sregistry.db, in its schema', async () => {
      const stored = join(sb.tmp, 'elsewhere.sif');
      await writeFile(stored, 'not really an image');
      addAsSregistryCli(dbFile, {
        collection: 'vendor',
        name: 'base',
        tag: 'v2',
        version: 'abc123',
        image: stored,
        client: 'registry',
      });
      const run = await cli.run(['images', 'vendor', '--json']);
      expect(run.code).toBe(0);
      const images = json<{ images: Local[] }>(run).images;
      expect(images).toEqual([
        expect.objectContaining({ collection: 'vendor', name: 'base', tag: 'v2', version: 'abc123', image: stored }),
      ]);
      const got = await cli.run(['get', 'vendor/base:v2']);
      expect(got.code).toBe(0);
      expect(got.stdout).toBe(`${stored}\n`);
    });

    it('writes records (pull, add) that sregistry-cli finds with its own lookup, and leaves its schema as it was', async () => {
      const before = tableSql(dbFile);
      const pulled = await cli.run(['pull', `${remote}:v1`, '--json']);
      expect(pulled.code).toBe(0);
      const image = json<{ image: string }>(pulled).image;
      expect(getAsSregistryCli(dbFile, 'lab', 'tool', 'v1')).toEqual({ image, url: expect.any(String), version: sha });

      const added = await cli.run(['add', file, 'local/made:v3', '--json']);
      expect(added.code).toBe(0);
      const record = json<Local>(added);
      expect(record.image).toBe(join(sb.tmp, 'storage', 'local', 'made', `v3@${sha}.sif`));
      expect(existsSync(record.image!)).toBe(true);
      expect(existsSync(file)).toBe(true);
      expect(getAsSregistryCli(dbFile, 'local', 'made', 'v3')).toEqual({
        image: record.image,
        url: null,
        version: sha,
      });
      expect(tableSql(dbFile)).toEqual(before);
    });

    it('SREGISTRY_DATABASE naming a file is a usage error that says what to set', async () => {
      const run = await cli.run(['images'], { ...env, SREGISTRY_DATABASE: dbFile });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('is the folder that holds sregistry.db');
      expect(run.stderr).toContain('SREGISTRY_GLOBUS_DATABASE_FILE');
    });

    it('an explicit database file: SREGISTRY_GLOBUS_DATABASE_FILE or --database-file; --database is the folder', async () => {
      const viaEnv = await cli.run(['images', 'vendor', '--json'], {
        ...env,
        SREGISTRY_DATABASE: join(sb.tmp, 'empty-folder'),
        SREGISTRY_GLOBUS_DATABASE_FILE: dbFile,
      });
      expect(json<{ images: Local[] }>(viaEnv).images.map((i) => i.name)).toEqual(['base']);
      const viaFlag = await cli.run(['images', 'vendor', '--json', '--database-file', dbFile], {
        ...env,
        SREGISTRY_DATABASE: join(sb.tmp, 'empty-folder'),
      });
      expect(json<{ images: Local[] }>(viaFlag).images.map((i) => i.name)).toEqual(['base']);
      const folderFlag = await cli.run(['images', 'vendor', '--json', '--database', dbFolder], {
        ...env,
        SREGISTRY_DATABASE: join(sb.tmp, 'empty-folder'),
      });
      expect(json<{ images: Local[] }>(folderFlag).images.map((i) => i.name)).toEqual(['base']);
      const both = await cli.run(['images', '--database', dbFolder, '--database-file', dbFile]);
      expect(both.code).toBe(2);
    });

    it('without SREGISTRY_DATABASE the file is ~/.singularity/sregistry.db, as sregistry-cli', async () => {
      const { SREGISTRY_DATABASE: _db, ...noDb } = env;
      const run = await cli.run(['add', file, 'home/one:v1'], noDb);
      expect(run.code).toBe(0);
      expect(
        getAsSregistryCli(join(String(env.HOME), '.singularity', 'sregistry.db'), 'home', 'one', 'v1')?.version,
      ).toBe(sha);
    });
  });

  describe('names both tools resolve', () => {
    it.each([
      ['lab.core/w:v1', 'lab-core'],
      ['lab/w.imgs:v1', 'w-imgs'],
      ['lab/w:v1.sif', 'v1-sif'],
    ])('push of %s is refused with why and what to use, exit 2', async (ref, instead) => {
      const run = await cli.run(['push', file, `globus://${sb.collection.id}/${ref}`, '--transport', 'https']);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('sregistry-cli');
      expect(run.stderr).toContain(`"${instead}"`);
      expect(run.stderr).toContain('[INVALID_REFERENCE]');
    });

    it('a record already named so stays readable', async () => {
      addAsSregistryCli(dbFile, {
        collection: 'old.core',
        name: 'w',
        tag: 'v1',
        version: null,
        image: file,
        client: 'globus',
      });
      const run = await cli.run(['inspect', 'old.core/w:v1', '--json']);
      expect(run.code).toBe(0);
      expect(json<Local>(run).image).toBe(file);
    });
  });

  describe('familiar forms', () => {
    const pathOf = () => `/shub/lab/tool/latest@${sha}.sif`;

    it('globus://<endpoint>:<path> of an image in the registry is that image', async () => {
      const run = await cli.run(['record', `globus://${sb.collection.id}:${pathOf()}`, '--json']);
      expect(run.code).toBe(0);
      expect(json<{ uri: string }>(run).uri).toBe(`${remote}:latest@${sha}`);
    });

    it("globus-cli's <endpoint>:<path> is too, and flags may come before the command", async () => {
      const run = await cli.run([
        '--debug',
        '-F',
        'json',
        'pull',
        `${sb.collection.id}:${pathOf()}`,
        '--transport',
        'https',
      ]);
      expect(run.code).toBe(0);
      expect(json<{ uri: string; status: string }>(run).uri).toBe(`${remote}:latest@${sha}`);
    });

    it('<endpoint>:<path> to a layout-2 version file pulls that version', async () => {
      const run = await cli.run([
        'pull',
        `${sb.collection.id}:/shub/lab/tool/sha256.${sha}.sif`,
        '--transport',
        'https',
        '--json',
      ]);
      expect(run.code).toBe(0);
      expect(json<{ uri: string; version: string }>(run)).toMatchObject({
        version: sha,
        uri: expect.stringMatching(new RegExp(`^${remote}:[a-z0-9._-]+@${sha}$`)),
      });
    });

    it('any other path gets the equivalent globus:// URI, exit 2', async () => {
      const run = await cli.run(['pull', `${sb.collection.id}:/shub/lab/tool`]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`globus://${sb.collection.id}/lab/tool:<tag>`);
    });

    it("push --name <collection/name> --tag <tag>, as sregistry-cli's push", async () => {
      const run = await cli.run([
        'push',
        file,
        '--name',
        'lab/named',
        '--tag',
        'v7',
        '--tag',
        'extra',
        '--endpoint',
        sb.collection.displayName,
        '--json',
      ]);
      expect(run.code).toBe(0);
      expect(
        json<{ images: Array<{ uri: string; tag: string }> }>(run)
          .images.map((i) => i.tag)
          .sort(),
      ).toEqual(['extra', 'v7']);
      const noEndpoint = await cli.run(['push', file, '--name', 'lab/named', '--tag', 'v7']);
      expect(noEndpoint.code).toBe(2);
      expect(noEndpoint.stderr).toContain('--endpoint');
    });
  });

  describe('get, rm, add', () => {
    it('get prints only the file, for $(...); a record-only image prints its URL', async () => {
      const file1 = await cli.run(['get', 'lab/tool:v1']);
      expect(file1.code).toBe(0);
      expect(file1.stdout.trim().split('\n')).toHaveLength(1);
      expect(existsSync(file1.stdout.trim())).toBe(true);
      expect((await cli.run(['push', file, `${remote}:paper`, '--transport', 'https'])).code).toBe(0);
      expect((await cli.run(['record', `${remote}:paper`])).code).toBe(0);
      const recorded = await cli.run(['get', 'lab/tool:paper']);
      expect(recorded.code).toBe(0);
      const record = json<Local & { url: string | null }>(await cli.run(['inspect', 'lab/tool:paper', '--json']));
      expect(record.image).toBeNull();
      expect(record.url).toEqual(expect.stringContaining('lab/tool'));
      expect(recorded.stdout).toBe(`${record.url}\n`);
      const missing = await cli.run(['get', 'lab/none']);
      expect(missing.code).toBe(1);
      expect(missing.stdout).toBe('');
    });

    it('rm removes the records and the stored file, leaving other records', async () => {
      const added = json<Local>(await cli.run(['add', file, 'scratch/gone:v1', '--json']));
      expect(existsSync(added.image!)).toBe(true);
      const run = await cli.run(['rm', 'scratch/gone:v1', '--json']);
      expect(run.code).toBe(0);
      expect(json<{ files: string[] }>(run).files).toEqual([added.image]);
      expect(existsSync(added.image!)).toBe(false);
      expect(getAsSregistryCli(dbFile, 'scratch', 'gone', 'v1')).toBeNull();
      expect(getAsSregistryCli(dbFile, 'lab', 'tool', 'v1')).not.toBeNull();
      expect((await cli.run(['rm', 'scratch/gone:v1'])).code).toBe(1);
    });
  });

  describe('safe delete', () => {
    beforeAll(async () => {
      expect((await cli.run(['push', file, `${remote}:doomed`, '--transport', 'https'])).code).toBe(0);
    });
    const listed = async (): Promise<string[]> =>
      json<{ hits: Array<{ image?: { tag: string } }> }>(
        await cli.run(['search', 'tool', '--endpoint', sb.collection.id, '--json']),
      ).hits.map((h) => h.image?.tag ?? '');

    it('--dry-run lists every version the tag would lose and deletes nothing', async () => {
      const run = await cli.run(['delete', `${remote}:doomed`, '--dry-run', '-F', 'unix']);
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(`would-delete\t${remote}:doomed@${sha}\n`);
      expect(await listed()).toContain('doomed');
    });

    it('on a terminal it asks; "n" deletes nothing', async () => {
      const run = await inTerminal(['delete', `${remote}:doomed`], env, 'n\n');
      expect(run.code).toBe(1);
      expect(run.output).toContain(`would delete ${remote}:doomed@${sha}`);
      expect(run.output).toMatch(
        /Delete 1 version \(their manifests, and each version file no other tag names\)\? \[y\/N\]/,
      );
      expect(run.output).toContain('nothing deleted');
      expect(await listed()).toContain('doomed');
    });

    it('on a terminal "y" deletes; --yes deletes without asking', async () => {
      const run = await inTerminal(['delete', `${remote}:doomed`], env, 'y\n');
      expect(run.code).toBe(0);
      expect(run.output).toContain(`deleted ${remote}:doomed@${sha}`);
      expect(await listed()).not.toContain('doomed');
      expect((await cli.run(['push', file, `${remote}:doomed`])).code).toBe(0);
      const yes = await inTerminal(['delete', `${remote}:doomed`, '--yes'], env, '');
      expect(yes.code).toBe(0);
      expect(yes.output).not.toContain('[y/N]');
      expect(await listed()).not.toContain('doomed');
    });
  });

  describe('globus-cli habits', () => {
    it('-F unix prints one tab-separated record per line; -F json is --json', async () => {
      const unix = await cli.run(['images', 'lab/tool', '-F', 'unix']);
      expect(unix.code).toBe(0);
      const rows = unix.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t'));
      expect(rows.length).toBeGreaterThanOrEqual(2);
      expect(rows.every((r) => r.length === 6)).toBe(true);
      expect(rows.map((r) => r[0])).toEqual(expect.arrayContaining(['lab/tool:v1', 'lab/tool:latest']));
      const a = await cli.run(['images', 'lab/tool', '-F', 'json']);
      const b = await cli.run(['images', 'lab/tool', '--json']);
      expect(json(a)).toEqual(json(b));
      const text = await cli.run(['images', 'lab/tool', '--format', 'text']);
      expect(text.stdout).toMatch(/^IMAGE\s+VERSION/);
      expect((await cli.run(['images', '-F', 'yaml'])).code).toBe(2);
    });

    it("takes globus-cli's GLOBUS_CLI_CLIENT_ID/SECRET when ours are unset", async () => {
      const { GLOBUS_CLIENT_ID: id, GLOBUS_CLIENT_SECRET: secret, ...rest } = env;
      const run = await cli.run(['search', 'tool', '--endpoint', sb.collection.id, '--json'], {
        ...rest,
        GLOBUS_CLI_CLIENT_ID: id,
        GLOBUS_CLI_CLIENT_SECRET: secret,
      });
      expect(run.code).toBe(0);
      expect(json<{ hits: unknown[] }>(run).hits.length).toBeGreaterThan(0);
    });

    it('reads the secret from GLOBUS_CLIENT_SECRET_FILE or --client-secret-file', async () => {
      const secretFile = join(sb.tmp, 'client-secret');
      await writeFile(secretFile, `${sb.client.secret}\n`, { mode: 0o600 });
      const { GLOBUS_CLIENT_SECRET: _s, ...rest } = env;
      const viaEnv = await cli.run(['search', 'tool', '--endpoint', sb.collection.id, '--json'], {
        ...rest,
        GLOBUS_CLIENT_SECRET_FILE: secretFile,
      });
      expect(viaEnv.code).toBe(0);
      const viaFlag = await cli.run(
        ['search', 'tool', '--endpoint', sb.collection.id, '--json', '--client-secret-file', secretFile],
        rest,
      );
      expect(viaFlag.code).toBe(0);
      const missing = await cli.run(['search', 'tool', '--client-secret-file', join(sb.tmp, 'no-such-file')], rest);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('cannot be read');
    });
  });

  describe('exit codes', () => {
    it.each([
      [['pull', 'globus://x/lab/Bad Name']],
      [['inspect', 'a/b/c']],
      [['get', 'lab/app:.hidden']],
      [['delete', 'globus://x/lab/app@notahash']],
    ])('a malformed reference %j is a usage error, exit 2', async (args) => {
      const run = await cli.run(args);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/\[INVALID_REFERENCE\]/);
    });
  });

  it('never printed the client secret or a token', () => {
    expect(leakedSecrets(cli.runs, [sb.client.secret, ...sb.context.tokens.all()])).toEqual([]);
  });
});

/** Runs the CLI in a pseudo-terminal (util-linux script) and types `input` once the question shows; colour is asserted elsewhere, so it is off here. */
function inTerminal(
  args: string[],
  env: NodeJS.ProcessEnv,
  input: string,
): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, BIN, ...args].map((s) => `'${s.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: REPO,
    env: { ...env, TERM: 'xterm', NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let typed = false;
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    output += d;
    if (!typed && output.includes('[y/N]')) {
      typed = true;
      child.stdin.write(input);
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}
