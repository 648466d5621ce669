// The sandbox as a child process of a bench, so its memory can be read from /proc apart
// from the bench's own. Needs `npm run build` first.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));

/** Starts a child node process and resolves with the JSON of its first stdout line (or undefined). */
async function startChild(childArgs) {
  const child = spawn(process.execPath, childArgs, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  let buffered = '';
  const line = await new Promise((resolve) => {
    child.stdout.on('data', (c) => {
      buffered += c;
      const end = buffered.indexOf('\n');
      if (end !== -1) resolve(buffered.slice(0, end));
    });
    child.once('exit', () => resolve(undefined));
  });
  child.stdout.resume();
  let info;
  try {
    info = line === undefined ? undefined : JSON.parse(line);
  } catch {
    info = undefined;
  }
  return { child, info, stderr: () => stderr };
}

/** Fallback while `bin/sandbox.js --json` is not available: a tiny script on the built library, printing the same fields. */
function fallbackScript(dataDir) {
  const lib = (p) => JSON.stringify(new URL(`../../lib/sandbox/${p}`, import.meta.url).href);
  return `
    import { mkdir } from 'node:fs/promises';
    import { startSandbox } from ${lib('sandbox.js')};
    import { defaultWorld } from ${lib('world.js')};
    const dataDir = ${JSON.stringify(dataDir)};
    const world = defaultWorld({ dataDir });
    for (const e of world.endpoints) if (e.root) await mkdir(e.root, { recursive: true });
    const sb = await startSandbox({ world, dataDir });
    const client = world.clients[0];
    console.log(JSON.stringify({ url: sb.url, client_id: client.id, client_secret: client.secret,
      endpoints: world.endpoints.map((e) => ({ id: e.id, https_server: e.httpsServer ?? null, folder: e.root ?? null, config_paths: e.configPaths ?? null })) }));
    process.on('SIGTERM', () => sb.close().then(() => process.exit(0)));
  `;
}

/**
 * Starts the sandbox on `dataDir` in a child process and resolves with the child and what
 * `readStartInfo` makes of its JSON start line (it answers undefined when the line lacks what the bench needs).
 */
export async function startSandboxChild(dataDir, readStartInfo) {
  let started = await startChild(['bin/sandbox.js', '--json', '--data', dataDir]);
  let start = readStartInfo(started.info);
  if (!start) {
    started.child.kill('SIGTERM');
    console.log('(bin/sandbox.js --json did not print a usable start line; using the library directly)');
    started = await startChild(['--input-type=module', '-e', fallbackScript(dataDir)]);
    start = readStartInfo(started.info);
    if (!start) throw new Error(`Sandbox did not start: ${started.stderr().trim().split('\n')[0] ?? ''}`);
  }
  return { child: started.child, start };
}

/** SIGTERM, up to five seconds to exit, then SIGKILL. */
export async function stopChild(child) {
  child.kill('SIGTERM');
  await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 5000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** The high-water resident set size of a process (VmHWM), KiB. */
export async function peakRssKiB(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error('VmHWM not found in /proc status');
  return Number(match[1]);
}
