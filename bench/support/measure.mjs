// How the bench times a command and alternates the sides it compares.
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Runs `cmd` under GNU time in `cwd`, its time file in `tmp`: wall and CPU seconds and peak
 * RSS in MB. A non-zero exit rejects with the end of its stderr.
 */
export async function timed({ tmp, cwd }, cmd, args, env = process.env) {
  const out = join(tmp, `time-${process.hrtime.bigint()}`);
  await new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-o', out, '-f', '%e %U %S %M', cmd, ...args], {
      cwd,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.trim().slice(-400)}`)),
    );
  });
  const [wall, user, sys, rssKb] = (await readFile(out, 'utf8')).trim().split('\n').at(-1).split(' ').map(Number);
  await rm(out, { force: true });
  return { wall, cpu: user + sys, rss: rssKb / 1024 };
}

/** `sides` alternate run by run (the first side first on even runs, second first on odd ones). */
export async function alternate(runs, sides) {
  const results = sides.map(() => []);
  for (let i = 0; i < runs; i++) {
    const order = i % 2 ? [...sides.keys()].reverse() : [...sides.keys()];
    for (const k of order) results[k].push(await sides[k](i));
  }
  return results;
}
