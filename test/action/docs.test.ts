/**
 * The workflows docs/action.md and README.md give to paste: they parse, use the Action by
 * its one published name and a release tag of this version, pass only inputs action.yml
 * declares, keep the secret in secrets and guard fork pull requests, and give every
 * `timeout` its unit.
 */
import { describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { readActionYml, REPO } from './runner.js';
import { join } from 'node:path';

const PKG = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string; homepage: string };
const ACTION = `sregistry-globus/sregistry-globus@v${PKG.version}`;

type Step = { uses?: string; with?: Record<string, unknown>; if?: string };
type Workflow = {
  permissions?: Record<string, string>;
  concurrency?: unknown;
  jobs?: Record<string, { steps: Step[] }>;
};

async function yamlBlocks(file: string): Promise<string[]> {
  const text = await readFile(join(REPO, file), 'utf8');
  return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe('the workflows in the docs', () => {
  it.each(['docs/action.md', 'README.md'])(
    '%s: one name, a release tag, declared inputs, secrets kept secret',
    async (file) => {
      const declared = Object.keys((await readActionYml()).inputs ?? {});
      expect(PKG.homepage).toContain('github.com/sregistry-globus/sregistry-globus');
      const blocks = await yamlBlocks(file);
      expect(blocks.length).toBeGreaterThan(0);
      let ours = 0;
      for (const block of blocks) {
        const doc = parse(block) as Workflow | Step[];
        const steps = Array.isArray(doc) ? doc : Object.values(doc.jobs ?? {}).flatMap((j) => j.steps);
        if (!Array.isArray(doc) && doc.jobs) {
          expect(doc.permissions).toEqual({ contents: 'read' });
          expect(doc.concurrency).toBeDefined();
        }
        for (const step of steps.filter((s) => s.uses?.includes('sregistry-globus'))) {
          ours++;
          expect(step.uses).toBe(ACTION);
          expect(Object.keys(step.with ?? {}).filter((k) => !declared.includes(k))).toEqual([]);
          expect(String(step.with?.['client-secret'])).toMatch(/^\$\{\{ secrets\./);
          expect(String(step.with?.['client-id'])).toMatch(/^\$\{\{ vars\./);
          if (step.with?.timeout !== undefined) expect(String(step.with.timeout)).toMatch(/^\d+(\.\d+)?[smh]$/);
        }
      }
      expect(ours).toBeGreaterThan(0);
      const text = await readFile(join(REPO, file), 'utf8');
      expect(text).not.toContain('your-org/');
    },
  );

  it('the complete workflow skips publishing for pull requests from forks', async () => {
    const full = (await yamlBlocks('docs/action.md'))
      .map((b) => parse(b) as Workflow)
      .find((d) => !Array.isArray(d) && d.jobs);
    const publish = Object.values(full!.jobs!)
      .flatMap((j) => j.steps)
      .find((s) => s.uses === ACTION)!;
    expect(publish.if).toContain('github.event.pull_request.head.repo.full_name == github.repository');
  });
});
