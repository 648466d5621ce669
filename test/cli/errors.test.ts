import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { writeSif } from '../../src/core/sif.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { addCollectionUser, newClient } from '../support/worlds.js';
import { assertBuilt, Cli, json, leakedSecrets, sandboxEnv } from './support.js';

const COMMANDS = [
  'push',
  'pull',
  'record',
  'search',
  'delete',
  'prune',
  'replicate',
  'access',
  'watch',
  'inspect',
  'images',
  'get',
  'add',
  'rm',
  'doctor',
  'sandbox',
  'demo',
];
const lines = (text: string) => text.split('\n').filter((l) => l !== '');

describe('sregistry-globus usage, exit codes and error reports', () => {
  let sb: TestSandbox;
  let cli: Cli;
  let env: NodeJS.ProcessEnv;
  /** A second client that may read the collection but not write it. */
  const reader = newClient('reader', randomBytes(32).toString('base64url'));
  let file: string;
  let remote: string;

  beforeAll(async () => {
    assertBuilt();
    sb = await startTestSandbox((world) => addCollectionUser(world, reader));
    env = await sandboxEnv(sb);
    cli = new Cli(env);
    file = join(sb.tmp, 'small.sif');
    await writeSif(file, { payloadBytes: Buffer.alloc(4096, 1) });
    remote = `globus://${sb.collection.id}/lab/small`;
  });
  afterAll(() => sb.stop());

  it.each(COMMANDS)('%s --help shows usage and an example, exit 0', async (command) => {
    const run = await cli.run([command, '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Usage: sregistry-globus ${command}`);
    expect(run.stdout).toMatch(/Examples:\n {2}sregistry-globus /);
  });

  it('--version prints the package version', async () => {
    const run = await cli.run(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('no command prints the command list and exits 2', async () => {
    const run = await cli.run([]);
    expect(run.code).toBe(2);
    for (const command of COMMANDS) expect(run.stdout).toContain(`  ${command} `);
  });

  it.each([
    [['frobnicate'], /unknown command "frobnicate"/],
    [['push', 'only-a-file'], /missing <uri>/],
    [['pull', 'globus://x/a/b', '--no-such-flag'], /: unknown option --no-such-flag \[USAGE\]/],
    [['psuh', 'a.sif'], /unknown command "psuh"; did you mean push\? /],
    [['help', 'imgaes'], /unknown command "imgaes"; did you mean images\? /],
    [['push', 'a.sif', 'globus://x/a/b', '--tga', 'v1'], /unknown option --tga; did you mean --tag\? /],
    [['pull', 'globus://x/a/b', '--transprot', 'https'], /unknown option --transprot; did you mean --transport\? /],
    [['push', 'a.sif', 'globus://x/a/b', '--tag'], /: --tag needs a value \[USAGE\]/],
    [['images', '--json=yes'], /: --json takes no value \[USAGE\]/],
    [['--verison'], /unknown option --verison; did you mean --version\?/],
    [['pull', 'globus://x/a/b', '--transport', 'carrier-pigeon'], /--transport must be one of auto, https, transfer/],
    [
      ['pull', 'globus://x/a/b', '--timeout', 'soon'],
      /--timeout is "soon": give a positive number of seconds, e\.g\. 900, or with a unit: 900s, 15m, 1h/,
    ],
    [['push', 'a.sif', 'globus://x/a/b', '--source', 'novalue'], /--source takes key=value/],
    [['record', 'a', 'b'], /unexpected argument "b"/],
  ])('usage error %j exits 2 with one line on stderr', async (args, message) => {
    const run = await cli.run(args);
    expect(run.code).toBe(2);
    expect(lines(run.stderr)).toHaveLength(1);
    expect(run.stderr).toMatch(/^error: /);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain('[USAGE]');
    // Node's own parser text never shows through.
    expect(run.stderr).not.toMatch(/To specify a positional argument|<value>'/);
    expect(run.stdout).toBe('');
  });

  it('a usage error with --json is one error document on stdout', async () => {
    const run = await cli.run(['pull', '--json', '--bogus']);
    expect(run.code).toBe(2);
    expect(json(run)).toEqual({
      error: { code: 'USAGE', message: expect.stringContaining('--bogus'), requestId: null, request_id: null },
    });
  });

  it('missing credentials exit 2 naming both variables', async () => {
    const { GLOBUS_CLIENT_SECRET: _secret, ...withoutSecret } = env;
    const run = await cli.run(['pull', `${remote}:latest`], withoutSecret);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('GLOBUS_CLIENT_ID');
    expect(run.stderr).toContain('GLOBUS_CLIENT_SECRET');
    expect(run.stderr).toContain('missing: GLOBUS_CLIENT_SECRET');
  });

  it('inspect and images need no credentials', async () => {
    const { GLOBUS_CLIENT_ID: _id, GLOBUS_CLIENT_SECRET: _secret, ...local } = env;
    const run = await cli.run(['images', '--json'], local);
    expect(run.code).toBe(0);
    expect(json<{ images: unknown[] }>(run).images).toEqual([]);
  });

  it('a failed operation prints one line with the code and no stack, exit 1', async () => {
    const run = await cli.run(['pull', `globus://${sb.collection.id}/lab/missing:latest`]);
    expect(run.code).toBe(1);
    const errorLines = lines(run.stderr).filter((l) => l.startsWith('error: '));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatch(/^error: pull globus:\/\/\S+: .+ \[(NOT_FOUND|NO_REGISTRY)\]/);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    // Only steps precede the error line; nothing follows it.
    expect(lines(run.stderr).at(-1)).toBe(errorLines[0]);
  });

  it('--debug adds the stack trace of a failure', async () => {
    const run = await cli.run(['pull', `globus://${sb.collection.id}/lab/missing:latest`, '--debug']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^\s+at /m);
  });

  it('a wrong client secret fails with AUTH_FAILED and the secret is not shown', async () => {
    const wrong = `wrong-${randomBytes(24).toString('base64url')}`;
    const run = await cli.run(['search', 'sandbox', '--debug', '--json'], { ...env, GLOBUS_CLIENT_SECRET: wrong });
    expect(run.code).toBe(1);
    expect(json<{ error: { code: string } }>(run).error.code).toBe('AUTH_FAILED');
    expect(run.stdout + run.stderr).not.toContain(wrong);
  });

  it('PERMISSION_DENIED names the client identity that needs access', async () => {
    const readerEnv = await sandboxEnv(sb, reader);
    const run = await cli.run(['push', file, `${remote}:latest`, '--transport', 'https'], readerEnv);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('[PERMISSION_DENIED]');
    expect(run.stderr).toContain(`${reader.id}@clients.auth.globus.org`);
    const doc = json<{ error: { code: string; message: string } }>(
      await cli.run(['push', file, `${remote}:latest`, '--json'], readerEnv),
    );
    expect(doc.error.code).toBe('PERMISSION_DENIED');
    expect(doc.error.message).toContain(`${reader.id}@clients.auth.globus.org`);
  });

  it('never printed a client secret or any token the sandbox issued', () => {
    expect(sb.context.tokens.all().length).toBeGreaterThan(0);
    expect(leakedSecrets(cli.runs, [sb.client.secret, reader.secret, ...sb.context.tokens.all()])).toEqual([]);
  });
});
