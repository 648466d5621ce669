/**
 * Arguments carrying line breaks, carriage returns and terminal escape sequences come
 * back in the real CLI's error line escaped: one line, nothing that moves the cursor or
 * retitles the terminal.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { assertBuilt, Cli, json, sandboxEnv } from './support.js';

/** Any control character, DEL or C1 control except the one newline that ends a line. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

describe('sregistry-globus: control characters in arguments', () => {
  let sb: TestSandbox;
  let cli: Cli;

  beforeAll(async () => {
    assertBuilt();
    sb = await startTestSandbox();
    cli = new Cli(await sandboxEnv(sb));
  });
  afterAll(() => sb.stop());

  const hostile = (id: string): [string, string, string][] => [
    ['a line feed', `globus://${id}/fm/pw\nned:v1`, 'pw\\nned'],
    ['a carriage return', `globus://${id}/fm/pw\rned:v1`, 'pw\\rned'],
    ['an OSC title sequence', `globus://${id}/fm/\u001b]0;owned\u0007x:v1`, '\\x1b]0;owned\\x07x'],
    ['a bidi override', `globus://${id}/fm/a\u202eb:v1`, 'a\\u{202e}b'],
  ];

  it.each(['pull', 'record', 'delete'])(
    '%s: each hostile argument gives exactly one escaped error line',
    async (command) => {
      for (const [, arg, shown] of hostile(sb.collection.id)) {
        const run = await cli.run([command, arg]);
        // A malformed reference is a usage error (exit 2), as docs/cli.md says.
        expect(run.code).toBe(2);
        expect(run.stdout).toBe('');
        expect(run.stderr.endsWith('\n')).toBe(true);
        const lines = run.stderr.slice(0, -1).split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(new RegExp(`^error: ${command} globus://`));
        expect(lines[0]).toContain(shown);
        expect(lines[0]).toMatch(/\[INVALID_REFERENCE\]$/);
        expect(RAW_CONTROL.test(run.stderr)).toBe(false);
        expect(run.stderr).not.toMatch(/[\u2028\u2029\u202a-\u202e]/);
      }
    },
  );

  it('a usage error naming a hostile flag value is one escaped line too', async () => {
    const run = await cli.run(['pull', `globus://${sb.collection.id}/a/b`, '--transport', 'x\n\u001b[2Jy']);
    expect(run.code).toBe(2);
    expect(run.stderr.slice(0, -1).split('\n')).toHaveLength(1);
    expect(RAW_CONTROL.test(run.stderr)).toBe(false);
  });

  it('with --json the error document is one JSON value and the line above it is escaped', async () => {
    const run = await cli.run(['pull', `globus://${sb.collection.id}/fm/pw\nned:v1`, '--json']);
    expect(run.code).toBe(2);
    expect(run.stderr.slice(0, -1).split('\n')).toHaveLength(1);
    const doc = json<{ error: { code: string; message: string } }>(run);
    expect(doc.error.code).toBe('INVALID_REFERENCE');
    expect(doc.error.message).not.toMatch(RAW_CONTROL);
  });
});
