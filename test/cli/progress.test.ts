import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { writeSif } from '../../src/core/sif.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { assertBuilt, Cli, json, leakedSecrets, sandboxEnv } from './support.js';

const MiB = 1024 * 1024;
// A plain progress line, e.g. "transfer lab/big:a: 1.0 MiB of 3.0 MiB (33%), 1.0 MiB/s, ETA 2s".
const PLAIN_LINE = /^(upload|download|transfer|hash) lab\/big:\w+: .+ of .+ \(\d+%\)/m;

describe('sregistry-globus progress output', () => {
  let sb: TestSandbox;
  let cli: Cli;
  let file: string;
  let remote: string;
  let localArgs: string[];

  beforeAll(async () => {
    assertBuilt();
    // Throttled Transfer tasks, so a few MB take a few seconds and progress has time to show.
    sb = await startTestSandbox((world) => {
      world.transferRate = 1.5 * MiB;
    });
    cli = new Cli(await sandboxEnv(sb));
    file = join(sb.tmp, 'big.sif');
    await writeSif(file, { payloadBytes: Buffer.alloc(3 * MiB, 3) });
    remote = `globus://${sb.collection.id}/lab/big`;
    localArgs = ['--transport', 'transfer', '--local-endpoint', sb.personal.id];
  });
  afterAll(() => sb.stop());

  it('on a terminal draws one bar redrawn with \\r and clears it', async () => {
    const run = await cli.runInTerminal(['push', file, `${remote}:tty`, ...localArgs]);
    expect(run.code).toBe(0);
    // `script` puts stdout and stderr of the CLI on the one terminal.
    const screen = run.stdout;
    expect(screen).toMatch(/\r(upload|transfer|hash) lab\/big:tty {2}\[[#-]{24}\] +\d+% {2}[\d.]+ \w?i?B\/[\d.]+ MiB/);
    expect(screen).toContain('\r\x1b[K');
    // No plain progress lines on a terminal.
    expect(screen).not.toMatch(PLAIN_LINE);
    expect(screen).toContain('lab/big:tty');
  });

  it('in a pipe prints plain lines without \\r', async () => {
    const run = await cli.run(['push', file, `${remote}:pipe`, ...localArgs]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^transfer lab\/big:pipe: .+ of 3\.0 MiB \(\d+%\)/m);
    expect(run.stderr).toMatch(/\(100%\)/);
    expect(run.stderr).not.toContain('\r');
    expect(run.stdout).not.toContain('\r');
  });

  it('with --quiet or --json shows no progress at all', async () => {
    const quiet = await cli.run(['pull', `${remote}:pipe`, ...localArgs, '--quiet']);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    const quietTty = await cli.runInTerminal([
      'pull',
      `${remote}:tty`,
      ...localArgs,
      '--json',
      '--storage',
      join(sb.tmp, 'other-storage'),
    ]);
    expect(quietTty.code).toBe(0);
    expect(quietTty.stdout).not.toContain('\r\x1b[K');
    expect(quietTty.stdout).not.toMatch(PLAIN_LINE);
    // The terminal turns \n into \r\n; apart from that, the screen is the JSON document.
    expect(json({ ...quietTty, stdout: quietTty.stdout.replace(/\r\n/g, '\n') })).toMatchObject({
      status: 'pulled',
      transport: 'transfer',
    });
  });

  it('never printed the client secret or any token the sandbox issued', () => {
    expect(leakedSecrets(cli.runs, [sb.client.secret, ...sb.context.tokens.all()])).toEqual([]);
  });
});
