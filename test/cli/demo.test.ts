import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { watchChild } from '../support/child.js';
import { assertBuilt, BIN, Cli, json, REPO } from './support.js';

interface DemoDocument {
  ok: boolean;
  steps: Array<{
    step: number;
    title: string;
    calls: Array<{ method: string; path: string; status: number }>;
    result: unknown;
  }>;
}

// Anything shaped like a Globus access token (the sandbox's start with "Ag").
const TOKEN_LIKE = /\bAg[A-Za-z0-9_-]{30,}/;

describe('sregistry-globus demo', () => {
  let home: string;
  let cli: Cli;

  beforeAll(async () => {
    assertBuilt();
    home = await mkdtemp(join(tmpdir(), 'sregistry-demo-home-'));
    // No Globus variables: the demo brings its own sandbox.
    cli = new Cli({ PATH: process.env.PATH, HOME: home });
  });
  afterAll(() => rm(home, { recursive: true, force: true }));

  it('demo --json runs every step and prints one summary document', async () => {
    const run = await cli.run(['demo', '--json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const doc = json<DemoDocument>(run);
    expect(doc.ok).toBe(true);
    expect(doc.steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const [, made, pushed, , , pulled, , , deleted] = doc.steps;
    expect((pushed?.result as Array<{ tag: string; transport: string }>).map((r) => [r.tag, r.transport])).toEqual([
      ['latest', 'https'],
      ['v1', 'https'],
    ]);
    expect(pushed?.calls.some((c) => c.method === 'PUT' && c.status === 200)).toBe(true);
    expect(pulled?.result).toMatchObject({ status: 'pulled', transport: 'transfer' });
    expect(pulled?.calls.some((c) => c.method === 'POST' && c.path === '/v0.10/transfer' && c.status === 202)).toBe(
      true,
    );
    expect((deleted?.result as { deleted: string[] }).deleted).toEqual([expect.stringContaining('/demo/hello:v1@')]);
    // Its temp folder is gone, and the home folder was never touched.
    const file = (made?.result as { file: string }).file;
    expect(existsSync(dirname(file))).toBe(false);
    expect(await readdir(home)).toEqual([]);
    expect(run.stdout).not.toMatch(TOKEN_LIKE);
  });

  it('demo prints numbered steps and the Globus calls behind them', async () => {
    const run = await cli.run(['demo']);
    expect(run.code).toBe(0);
    for (let n = 1; n <= 9; n++) expect(run.stdout).toContain(`[${n}/9] `);
    expect(run.stdout).toMatch(/^ {6}POST \/v0\.10\/transfer -> 202$/m);
    expect(run.stdout).toMatch(/^ {6}PUT \/shub\/demo\/hello\/\S+ -> 200$/m);
    expect(run.stdout + run.stderr).not.toMatch(TOKEN_LIKE);
    expect(await readdir(home)).toEqual([]);
  });

  it('Ctrl-C stops the demo and still removes its temp folder', async () => {
    const { child, exited, waitFor } = watchChild(process.execPath, [BIN, 'demo'], {
      cwd: REPO,
      env: { PATH: process.env.PATH, HOME: home },
    });
    const named = /temp folder (\S+)\)/;
    const folder = named.exec(await waitFor(named))![1]!;
    child.kill('SIGINT');
    const { code } = await exited;
    // The signal comes while the demo runs (its first line names the folder): it must stop, not finish.
    expect(code).toBe(130);
    expect(existsSync(folder)).toBe(false);
    expect(await readdir(home)).toEqual([]);
  });
});
