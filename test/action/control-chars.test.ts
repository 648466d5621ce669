/**
 * Inputs carrying line breaks and terminal escape sequences, through the bundled Action
 * run as the runner runs it: the failure is one `::error::` line with the characters
 * escaped, and no raw control character reaches the log.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { newJob, runAction, sandboxInputs } from './runner.js';

/** Any control character except the newlines that separate log lines. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/;

let sb: TestSandbox;
beforeAll(async () => {
  sb = await startTestSandbox();
});
afterAll(() => sb.stop());

describe('action: control characters in inputs', () => {
  it.each([
    // The reference parser already quotes what it refuses (JSON escapes); the rest is escaped by the display rule.
    [
      'an OSC title sequence in name',
      { command: 'pull', name: 'lab/a\u001b]0;owned\u0007b' },
      /lab\/a\\(x1b|u001b)\]0;owned\\(x07|u0007)b/,
    ],
    ['a carriage return in name', { command: 'pull', name: 'lab/over\rwrite' }, /lab\/over(\\r|%0D| )write/],
    [
      'a line feed that would start a workflow command',
      { command: 'pull', name: 'lab/x\n::warning::injected' },
      /lab\/x ::warning::injected/,
    ],
    [
      'an escape sequence in transport',
      { command: 'pull', name: 'lab/app', transport: 'https\u001b[2J' },
      /"https\\x1b\[2J"/,
    ],
    [
      'an OSC sequence in tags',
      { command: 'pull', name: 'lab/app', tags: 'v1\u001b]0;owned\u0007' },
      /v1\\x1b\]0;owned\\x07/,
    ],
  ])('%s: one ::error:: line, escaped', async (_what, extra, shown) => {
    const run = await runAction({ job: await newJob(), inputs: sandboxInputs(sb, extra) });
    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(shown);
    expect(run.warnings.filter((w) => w.includes('injected'))).toEqual([]);
    expect(RAW_CONTROL.test(run.stdout)).toBe(false);
    expect(RAW_CONTROL.test(run.stderr)).toBe(false);
  });
});
