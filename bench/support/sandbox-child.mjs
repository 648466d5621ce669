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

/**
 * Starts the sandbox on `dataDir` in a child process (`node <nodeArgs> bin/sandbox.js
 * --json <extraArgs>`) and resolves with the child and what `readStartInfo` makes of its
 * JSON start line (it answers undefined when the line lacks what the caller needs).
 */
export async function startSandboxChild(dataDir, readStartInfo, extraArgs = [], nodeArgs = []) {
  const started = await startChild([...nodeArgs, 'bin/sandbox.js', '--json', '--data', dataDir, ...extraArgs]);
  const start = readStartInfo(started.info);
  if (!start) {
    started.child.kill('SIGTERM');
    throw new Error(`Sandbox did not start: ${started.stderr().trim().split('\n')[0] ?? 'no usable start line'}`);
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
