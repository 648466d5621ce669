/**
 * The package as users get it: a copy of the repository's tracked files (as a clean clone
 * has them, no lib/) is packed with `npm pack`, which must build lib/ itself; the tarball
 * is installed into a temp prefix (the CLI) and a temp Node-RED user folder (the nodes)
 * from the npm cache, and both are run against a sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { watchChild } from '../support/child.js';

const run = promisify(execFile);
const REPO = resolve('.');
const PKG = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  'node-red': { nodes: Record<string, string> };
};
const NPM_QUIET = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}

async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run('npm', args, { cwd, maxBuffer: 16 * 1024 * 1024 }).catch(
    (err: { stderr?: string; message: string }) => {
      throw new Error(`npm ${args.join(' ')} failed: ${err.stderr ?? err.message}`);
    },
  );
  return stdout;
}

describe('the packed package, installed', () => {
  let work: string;
  let tarball: string;
  let packed: string[];
  let sb: TestSandbox;
  let image: string;
  let digest: string;
  let prefix: string;
  let userDir: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'sregistry-install-'));
    prefix = join(work, 'prefix');
    userDir = join(work, 'node-red');
    // The tracked files only: what a clone holds. node_modules is linked to build with.
    const clone = join(work, 'clone');
    const { stdout } = await run('git', ['ls-files', '-z'], { cwd: REPO, maxBuffer: 16 * 1024 * 1024 });
    for (const file of stdout.split('\0').filter((f) => f !== '' && existsSync(join(REPO, f)))) {
      await mkdir(dirname(join(clone, file)), { recursive: true });
      await copyFile(join(REPO, file), join(clone, file));
    }
    await symlink(join(REPO, 'node_modules'), join(clone, 'node_modules'), 'dir');
    const out = JSON.parse(await npm(['pack', '--json', '--pack-destination', work, ...NPM_QUIET], clone)) as {
      filename: string;
      files: { path: string }[];
    }[];
    tarball = join(work, out[0]!.filename);
    packed = out[0]!.files.map((f) => f.path);
    // Both installs at once: the CLI into a global prefix, the nodes into a Node-RED user folder.
    await mkdir(userDir, { recursive: true });
    await writeFile(join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true }));
    await Promise.all([
      npm(['install', '--global', '--prefix', prefix, ...NPM_QUIET, tarball], work),
      npm(['install', ...NPM_QUIET, tarball], userDir),
    ]);
    sb = await startTestSandbox();
    image = join(sb.tmp, 'tool.sif');
    const bytes = Buffer.from('installed package test\n'.repeat(4096));
    // A push takes SIF images only: the SIF magic where a SIF header carries it.
    bytes.write('SIF_MAGIC\0', 32, 'latin1');
    await writeFile(image, bytes);
    digest = createHash('sha256').update(bytes).digest('hex');
  }, 180_000);

  afterAll(async () => {
    await sb?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('ships a freshly built lib/ and editor grammar, the licence and dist/, and nothing from test/ or src/', () => {
    expect(packed).toEqual(
      expect.arrayContaining([
        'lib/index.js',
        'lib/cli/main.js',
        'lib/node-version.js',
        'bin/sregistry-globus.js',
        'nodes/sregistry-pull.js',
        'resources/sregistry-editor.js',
        'resources/sregistry-grammar.js',
        'dist/index.js',
        'dist/licenses.txt',
        'LICENSE',
        'package.json',
      ]),
    );
    expect(packed.filter((f) => f.startsWith('test/') || f.startsWith('src/'))).toEqual([]);
  });

  it('runs as the installed sregistry-globus: --version, push and pull against the sandbox', async () => {
    const bin = join(prefix, 'bin', 'sregistry-globus');
    const env = {
      PATH: process.env.PATH,
      HOME: join(sb.tmp, 'home'),
      GLOBUS_CLIENT_ID: sb.client.id,
      GLOBUS_CLIENT_SECRET: sb.client.secret,
      GLOBUS_SDK_SERVICE_URL_AUTH: `${sb.url}/`,
      GLOBUS_SDK_SERVICE_URL_TRANSFER: `${sb.url}/`,
      SREGISTRY_STORAGE: join(sb.tmp, 'cli-storage'),
      SREGISTRY_GLOBUS_DATABASE_FILE: join(sb.tmp, 'cli.db'),
    };
    const version = await watchChild(bin, ['--version'], { cwd: work, env }).exited;
    expect(version).toMatchObject({ code: 0, stdout: `${PKG.version}\n` });
    const uri = `globus://${sb.collection.id}/lab/tool:v1`;
    const push = await watchChild(bin, ['push', image, uri, '--json'], { cwd: work, env }).exited;
    expect({ code: push.code, stderr: push.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    expect(push.stdout).toContain(digest);
    const pull = await watchChild(bin, ['pull', uri, '--json'], { cwd: work, env }).exited;
    expect(pull.code).toBe(0);
    const pulled = JSON.stringify(JSON.parse(pull.stdout));
    const path = /"image":"([^"]+)"/.exec(pulled)?.[1];
    expect(path).toBeDefined();
    expect(
      createHash('sha256')
        .update(await readFile(path!))
        .digest('hex'),
    ).toBe(digest);
  }, 120_000);

  it('loads every node type of package.json in Node-RED and runs a pull flow end to end', async () => {
    const port = await freePort();
    const settings = {
      uiHost: '127.0.0.1',
      uiPort: port,
      flowFile: 'flows.json',
      credentialSecret: 'install-test-secret',
      logging: { console: { level: 'warn', metrics: false, audit: false } },
      diagnostics: { enabled: false, ui: false },
      telemetry: { enabled: false, updateNotification: false },
      externalModules: { autoInstall: false, palette: { allowInstall: false } },
      editorTheme: { tours: false, projects: { enabled: false } },
    };
    await writeFile(join(userDir, 'settings.js'), `module.exports = ${JSON.stringify(settings)};\n`);
    const red = createRequire(import.meta.url).resolve('node-red/red.js');
    const child: ChildProcess = spawn(
      process.execPath,
      [red, '--userDir', userDir, '--settings', join(userDir, 'settings.js')],
      { cwd: userDir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
    const base = `http://127.0.0.1:${port}`;
    try {
      const until = Date.now() + 60_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`node-red exited with ${child.exitCode}:\n${output}`);
        const up = await fetch(`${base}/settings`).then(
          (r) => r.ok,
          () => false,
        );
        if (up) break;
        if (Date.now() > until) throw new Error(`node-red did not start:\n${output}`);
        await new Promise((r) => setTimeout(r, 200));
      }

      const sets = (await (await fetch(`${base}/nodes`, { headers: { accept: 'application/json' } })).json()) as {
        module: string;
        types: string[];
        enabled: boolean;
        err?: string;
      }[];
      const ours = sets.filter((s) => s.module === PKG.name);
      expect(
        ours
          .map((s) => ({ types: s.types, enabled: s.enabled, err: s.err ?? null }))
          .sort((a, b) => (a.types[0]! < b.types[0]! ? -1 : 1)),
      ).toEqual(
        Object.keys(PKG['node-red'].nodes)
          .sort()
          .map((type) => ({ types: [type], enabled: true, err: null })),
      );
      // The installed copy, not this repository.
      expect(await readdir(join(userDir, 'node_modules', ...PKG.name.split('/'), 'lib'))).toContain('index.js');

      const flow = [
        { id: 'tab', type: 'tab', label: 'install test' },
        {
          id: 'client',
          type: 'sregistry-globus-client',
          name: 'sandbox',
          endpoint: sb.collection.id,
          transport: 'https',
          authUrl: `${sb.url}/`,
          transferUrl: `${sb.url}/`,
          storage: join(sb.tmp, 'red-storage'),
          database: join(sb.tmp, 'red.db'),
          credentials: { clientId: sb.client.id, clientSecret: sb.client.secret },
        },
        { id: 'in', type: 'http in', z: 'tab', url: '/pull', method: 'get', wires: [['pull']] },
        { id: 'pull', type: 'sregistry-pull', z: 'tab', client: 'client', image: 'lab/tool:v1', wires: [['out']] },
        { id: 'out', type: 'http response', z: 'tab', statusCode: '', headers: {}, wires: [] },
      ];
      const deploy = await fetch(`${base}/flows`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'node-red-deployment-type': 'full' },
        body: JSON.stringify(flow),
      });
      expect(deploy.status).toBe(204);
      // A deploy answers before its flows have started: until then /pull is Node-RED's 404 page.
      let answer = await fetch(`${base}/pull`);
      for (const until = Date.now() + 30_000; answer.status === 404 && Date.now() < until;) {
        await answer.arrayBuffer();
        await new Promise((r) => setTimeout(r, 200));
        answer = await fetch(`${base}/pull`);
      }
      const body = await answer.text();
      expect({ status: answer.status, body: answer.status === 200 ? '' : body }).toEqual({ status: 200, body: '' });
      const record = JSON.parse(body) as { version?: string; image?: string };
      expect(record.version).toBe(digest);
      expect(
        createHash('sha256')
          .update(await readFile(record.image!))
          .digest('hex'),
      ).toBe(digest);
      expect(output).not.toContain(sb.client.secret);
    } finally {
      if (child.exitCode === null) child.kill('SIGINT');
      await exited;
    }
  }, 120_000);
});
