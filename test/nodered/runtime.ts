/**
 * A real Node-RED process for tests: the `node-red` package's own start script, a temp
 * userDir with this package installed in its node_modules (as `npm install <repo>` would,
 * by a link, so it works offline), loopback only, an encrypted credentials file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface NodeRedProcess {
  url: string;
  userDir: string;
  /** Everything the process printed so far. */
  output(): string;
  /** Stops the process; the userDir is removed unless `keepUserDir` (to start again on it). */
  stop(options?: { keepUserDir?: boolean }): Promise<void>;
}

export interface NodeRedOptions {
  credentialSecret: string;
  /** Flows to start with (written to flows.json before start). */
  flows?: object[];
  /** More settings.js entries (e.g. contextStorage). */
  settings?: Record<string, unknown>;
  /** Start on this userDir, as a restart would (made and linked by an earlier start). */
  userDir?: string;
  /** More environment for the Node-RED process (e.g. GLOBUS_CLIENT_ID, which `${GLOBUS_CLIENT_ID}` credentials read). */
  env?: NodeJS.ProcessEnv;
}

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

export async function startNodeRed(options: NodeRedOptions): Promise<NodeRedProcess> {
  const userDir = options.userDir ?? (await mkdtemp(join(tmpdir(), 'sregistry-nodered-')));
  if (!options.userDir) {
    const scope = join(userDir, 'node_modules', '@sregistry');
    await mkdir(scope, { recursive: true });
    await symlink(REPO, join(scope, 'globus'), 'dir');
    await writeFile(
      join(userDir, 'package.json'),
      JSON.stringify({
        name: 'node-red-project',
        private: true,
        dependencies: { '@sregistry/globus': `file:${REPO}` },
      }),
    );
  }
  if (options.flows) await writeFile(join(userDir, 'flows.json'), JSON.stringify(options.flows));
  const port = await freePort();
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: port,
    flowFile: 'flows.json',
    credentialSecret: options.credentialSecret,
    logging: { console: { level: 'info', metrics: false, audit: false } },
    diagnostics: { enabled: false, ui: false },
    telemetry: { enabled: false, updateNotification: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    editorTheme: { tours: false, projects: { enabled: false }, codeEditor: { lib: 'ace' } },
    ...options.settings,
  };
  const settingsFile = join(userDir, 'settings.js');
  await writeFile(settingsFile, `module.exports = ${JSON.stringify(settings, null, 2)};\n`);

  const red = require.resolve('node-red/red.js');
  const child: ChildProcess = spawn(process.execPath, [red, '--userDir', userDir, '--settings', settingsFile], {
    cwd: userDir,
    env: { ...process.env, ...options.env, NODE_RED_ENABLE_PROJECTS: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));

  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 60000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`node-red exited with ${child.exitCode}:\n${output}`);
    if (/Started flows|Starting flows/.test(output) && /Server now running/.test(output)) break;
    if (Date.now() > until) {
      child.kill('SIGKILL');
      throw new Error(`node-red did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    url,
    userDir,
    output: () => output,
    async stop(stopOptions = {}) {
      if (child.exitCode === null) child.kill('SIGINT');
      await exited;
      if (!stopOptions.keepUserDir) await rm(userDir, { recursive: true, force: true });
    },
  };
}
