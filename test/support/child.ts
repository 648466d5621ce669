import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';

export interface ChildEnd {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface WatchedChild {
  child: ChildProcessByStdio<null, Readable, Readable>;
  /** Resolves when the process has closed, with all it printed; rejects if it could not start. */
  exited: Promise<ChildEnd>;
  /** Resolves with everything printed so far once stdout holds `text` (or matches it); rejects if the process ends first. */
  waitFor(text: string | RegExp): Promise<string>;
}

/** Starts a process with piped stdout and stderr and keeps what it prints. */
export function watchChild(
  file: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): WatchedChild {
  const child = spawn(file, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    for (const w of waiters) w();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<ChildEnd>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  const waitFor = (text: string | RegExp) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        if (typeof text === 'string' ? !stdout.includes(text) : !text.test(stdout)) return;
        waiters.delete(check);
        resolve(stdout);
      };
      waiters.add(check);
      check();
      exited.then(
        ({ code }) =>
          reject(
            new Error(
              `${basename(args[0] ?? file)} exited with ${code} before printing ${String(text)}:\n${stdout}\n${stderr}`,
            ),
          ),
        reject,
      );
    });
  return { child, exited, waitFor };
}
