/** `sregistry-globus watch` as a real process against the sandbox. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSif } from '../../src/core/sif.js';
import { watchChild } from '../support/child.js';
import { fileSha256 } from '../support/files.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { pollUntil, waitFor } from '../support/wait.js';
import { assertBuilt, BIN, Cli, json, leakedSecrets, REPO, sandboxEnv } from './support.js';

interface Line {
  uri: string;
  tag: string;
  tags: string[];
  version: string;
  size: number;
  created: string;
  webUrl: string;
  image?: string;
  status?: string;
}

describe('sregistry-globus watch (real process, sandbox)', () => {
  let sb: TestSandbox;
  let cli: Cli;
  let env: NodeJS.ProcessEnv;
  let n = 0;

  beforeAll(async () => {
    assertBuilt();
    sb = await startTestSandbox();
    env = await sandboxEnv(sb);
    cli = new Cli(env);
  });
  afterAll(async () => {
    expect(leakedSecrets(cli.runs, [sb.client.secret])).toEqual([]);
    await sb.stop();
  });

  /** Pushes a new SIF (new bytes each time) and returns its version. */
  async function push(target: string, ...more: string[]): Promise<string> {
    const file = join(sb.tmp, `image-${++n}.sif`);
    await writeSif(file, { labels: { n: String(n) }, payloadBytes: Buffer.alloc(32 * 1024, n) });
    const run = await cli.run(['push', file, target, ...more, '--json']);
    expect(run.code).toBe(0);
    return fileSha256(file);
  }

  const readState = (file: string): { lastCheck?: string; seen: Record<string, string[]> } =>
    JSON.parse(readFileSync(file, 'utf8'));

  it('prints exactly one line for a version pushed while it runs, exits 130 on Ctrl-C, and a restart repeats nothing', async () => {
    const remote = `globus://${sb.collection.id}/watch/app`;
    await push(`${remote}:v1`);
    const stateFile = join(sb.tmp, 'state', 'app.json');
    const child = watchChild(process.execPath, [BIN, 'watch', remote, '--interval', '1', '--state', stateFile], {
      cwd: REPO,
      env,
    });
    // The first check is done once the state file exists: v1 is known, not reported.
    await waitFor(() => existsSync(stateFile), 'the first check', { boundMs: 20_000 });
    const v2 = await push(`${remote}:v2`, '--tag', 'latest');
    await child.waitFor('\n');
    // Two more checks, to see that nothing is reported twice.
    const after = readState(stateFile).lastCheck;
    const next = await pollUntil(
      () => readState(stateFile).lastCheck,
      (t) => t !== after,
      'a later check',
      { boundMs: 20_000, everyMs: 50 },
    );
    await pollUntil(
      () => readState(stateFile).lastCheck,
      (t) => t !== next,
      'one more check',
      { boundMs: 20_000, everyMs: 50 },
    );
    child.child.kill('SIGINT');
    const end = await child.exited;
    expect(end.code).toBe(130);
    const lines = end.stdout.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Line;
    // A check may fall between the push's two manifests (v2 is written, then latest): the
    // version is reported once, with the tags it had when seen, never again for the later tag.
    expect(line.version).toBe(v2);
    expect(['latest', 'v2']).toContain(line.tag);
    expect(line.uri).toBe(`${remote}:${line.tag}@${v2}`);
    expect(line.tags.length).toBeGreaterThan(0);
    for (const t of line.tags) expect(['latest', 'v2']).toContain(t);
    expect(line.tags).toContain(line.tag);
    expect(line.size).toBeGreaterThan(32 * 1024);
    expect(Number.isNaN(Date.parse(line.created))).toBe(false);
    expect(end.stderr).toContain('checked 1 folder: 1 new version');
    expect(end.stderr).not.toContain('error');
    // Replaced by rename: no temp file is left beside it, and it holds both versions.
    expect(readdirSync(join(sb.tmp, 'state'))).toEqual(['app.json']);
    expect(readState(stateFile).seen['watch/app']).toHaveLength(2);

    const again = await cli.run(['watch', remote, '--state', stateFile, '--once']);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('');
    expect(again.stderr).toContain('checked 1 folder: 0 new versions');

    // What is pushed while no watch runs is reported by the next one, once.
    const v3 = await push(`${remote}:v3`);
    const third = await cli.run(['watch', remote, '--state', stateFile, '--once']);
    expect(third.code).toBe(0);
    expect(
      third.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as Line).version),
    ).toEqual([v3]);
    const fourth = await cli.run(['watch', remote, '--state', stateFile, '--once']);
    expect(fourth.stdout).toBe('');
  }, 90_000);

  it('on an 80-column terminal the status line stays within 79 columns, so each redraw replaces it', async () => {
    // A real terminal (util-linux script gives the watch a pty) set to 80 columns; the
    // status text (counts, the time with its date and zone) is longer than that.
    const remote = `globus://${sb.collection.id}/watch/status`;
    await push(`${remote}:v1`);
    const command = `stty cols 80 rows 24; exec '${process.execPath}' '${BIN}' watch '${remote}' --interval 1`;
    const child = watchChild('script', ['-qfec', command, '/dev/null'], { cwd: REPO, env: { ...env, TERM: 'xterm' } });
    await child.waitFor('3 checks');
    child.child.kill('SIGTERM');
    const end = await child.exited;
    const draws = end.stdout
      .split('\r')
      .map((d) => d.split('\x1b[K')[0]!)
      .filter((d) => d.startsWith('watching:'));
    expect(draws.length).toBeGreaterThanOrEqual(3);
    for (const d of draws) expect([d, Array.from(d).length <= 79]).toEqual([d, true]);
  }, 60_000);

  it('--pull puts the new version in storage and records it before printing its line', async () => {
    const remote = `globus://${sb.collection.id}/watch/pulled`;
    const stateFile = join(sb.tmp, 'pulled.json');
    const prime = await cli.run(['watch', remote, '--state', stateFile, '--once']);
    expect(prime.code).toBe(0);
    expect(prime.stdout).toBe('');
    const version = await push(`${remote}:v1`);
    const run = await cli.run(['watch', remote, '--state', stateFile, '--once', '--pull']);
    expect(run.code).toBe(0);
    const line = JSON.parse(run.stdout) as Line;
    expect(line.status).toBe('pulled');
    expect(line.image?.startsWith(env.SREGISTRY_STORAGE!)).toBe(true);
    expect(await fileSha256(line.image!)).toBe(version);
    const record = await cli.run(['inspect', `watch/pulled:v1@${version}`, '--json']);
    expect(record.code).toBe(0);
    expect(json<{ image: string }>(record).image).toBe(line.image);
  }, 60_000);

  it('--from-start reports what is there; a state of another target and a short interval are refused', async () => {
    const remote = `globus://${sb.collection.id}/watch-all`;
    const a = await push(`${remote}/a:v1`);
    const b = await push(`${remote}/b:v1`);
    const run = await cli.run(['watch', remote, '--once', '--from-start']);
    expect(run.code).toBe(0);
    expect(
      run.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as Line).version),
    ).toEqual([a, b]);

    const short = await cli.run(['watch', remote, '--interval', '0.5']);
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/--interval must be a number of seconds of at least 1.*\[USAGE\]/);
    const stateFile = join(sb.tmp, 'other.json');
    expect((await cli.run(['watch', `${remote}/a`, '--state', stateFile, '--once'])).code).toBe(0);
    const other = await cli.run(['watch', `${remote}/b`, '--state', stateFile, '--once']);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/belongs to .*watch-all\/a.*\[INVALID_INPUT\]/);
    expect(other.stderr.trim().split('\n')).toHaveLength(1);
  }, 60_000);
});
