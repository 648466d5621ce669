/** The runner's protocol as the Action writes it: command lines, masks, groups, the output and summary files. */
import { describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Workflow, escapeData } from '../../src/action/workflow.js';
import { parseFileCommands } from './runner.js';

const captured = (env: NodeJS.ProcessEnv = {}): { workflow: Workflow; text: () => string } => {
  let out = '';
  return { workflow: new Workflow(env, (t) => (out += t)), text: () => out };
};

describe('Workflow', () => {
  it('keeps a command on one line whatever its data holds', () => {
    expect(escapeData('50%\r\nnext::error::x')).toBe('50%25%0D%0Anext::error::x');
    const { workflow, text } = captured();
    workflow.warning('line one\nline two');
    workflow.debug('a\rb');
    expect(text()).toBe('::warning::line one%0Aline two\n::debug::a%0Db\n');
  });

  it('masks a secret and never an empty one', () => {
    const { workflow, text } = captured();
    workflow.mask('');
    workflow.mask('s3cr%t');
    expect(text()).toBe('::add-mask::s3cr%25t\n');
  });

  it('closes a group when its work fails, and fails the step with an error line', async () => {
    const { workflow, text } = captured();
    await expect(workflow.group('upload', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const before = process.exitCode;
    try {
      workflow.fail('it broke');
      expect(process.exitCode).toBe(1);
    } finally {
      process.exitCode = before;
    }
    expect(text()).toBe('::group::upload\n::endgroup::\n::error::it broke\n');
  });

  it('writes outputs to GITHUB_OUTPUT so that multi-line values and `=` survive, and the summary to GITHUB_STEP_SUMMARY', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sregistry-workflow-'));
    try {
      const env = { GITHUB_OUTPUT: join(dir, 'out'), GITHUB_STEP_SUMMARY: join(dir, 'summary') };
      const { workflow, text } = captured(env);
      workflow.setOutput('uri', 'globus://a/b:c=d');
      workflow.setOutput('notes', 'one\ntwo');
      expect(workflow.appendSummary('<h3>x</h3>\n')).toBe(true);
      expect(parseFileCommands(await readFile(env.GITHUB_OUTPUT, 'utf8'))).toEqual({
        uri: 'globus://a/b:c=d',
        notes: 'one\ntwo',
      });
      expect(await readFile(env.GITHUB_STEP_SUMMARY, 'utf8')).toBe('<h3>x</h3>\n');
      expect(text()).toBe('');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('outside a runner, outputs become debug lines and there is no summary', () => {
    const { workflow, text } = captured({});
    workflow.setOutput('uri', 'x');
    expect(workflow.appendSummary('<p/>')).toBe(false);
    expect(text()).toBe('::debug::output uri=x\n');
  });
});
