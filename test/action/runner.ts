/**
 * Runs `node dist/index.js` the way the GitHub runner does: every input as INPUT_<NAME>
 * (upper-cased, spaces to `_`, hyphens kept) with action.yml's defaults for the ones not
 * given, the file commands (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_ENV, GITHUB_STATE)
 * as temp files, RUNNER_TEMP and GITHUB_WORKSPACE as temp folders, and the GITHUB_*
 * context variables a workflow run has.
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { watchChild } from '../support/child.js';
import type { TestSandbox } from '../support/sandbox.js';

export const REPO = resolve('.');
const ACTION_DIR = REPO;

interface ActionYml {
  inputs: Record<string, { default?: string; required?: boolean }>;
  outputs: Record<string, unknown>;
  runs: { using: string; main: string };
}

export async function readActionYml(): Promise<ActionYml> {
  return parse(await readFile(join(ACTION_DIR, 'action.yml'), 'utf8')) as ActionYml;
}

export const inputVariable = (name: string): string => `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;

export interface RunnerFolders {
  root: string;
  workspace: string;
  runnerTemp: string;
}

/** A fresh job: workspace and runner temp folders under one temp root (in `base`). */
export async function newJob(base: string = tmpdir()): Promise<RunnerFolders> {
  const root = await mkdtemp(join(base, 'sregistry-action-'));
  const workspace = join(root, 'workspace');
  const runnerTemp = join(root, 'runner-temp');
  await mkdir(workspace, { recursive: true });
  await mkdir(runnerTemp, { recursive: true });
  return { root, workspace, runnerTemp };
}

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** stdout lines that are workflow commands `::error::...`. */
  errors: string[];
  warnings: string[];
}

/** Parses the GITHUB_OUTPUT file: `name<<delimiter\nvalue\ndelimiter\n` entries. */
export function parseFileCommands(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    // The runner takes any delimiter the step chose.
    const m = /^([^<=]+)<<(\S+)$/.exec(line);
    if (m) {
      const [, name, delimiter] = m;
      const value: string[] = [];
      i++;
      while (i < lines.length && lines[i] !== delimiter) value.push(lines[i++]!);
      if (i >= lines.length) throw new Error(`unterminated value for ${name}`);
      out[name!] = value.join('\n');
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new Error(`bad file command line: ${line}`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

export interface RunOptions {
  job: RunnerFolders;
  inputs: Record<string, string>;
  /** More environment (cache service, RUNNER_DEBUG...); undefined values remove a variable. */
  env?: Record<string, string | undefined>;
}

/** The inputs that point the Action at `sb` with its default client, plus `extra`. */
export function sandboxInputs(sb: TestSandbox, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'client-id': sb.client.id,
    'client-secret': sb.client.secret,
    endpoint: sb.collection.id,
    'auth-url': sb.url,
    'transfer-url': sb.url,
    ...extra,
  };
}

let runCounter = 0;

export async function runAction({ job, inputs, env = {} }: RunOptions): Promise<ActionRun> {
  const yml = await readActionYml();
  const step = `${process.pid}-${++runCounter}`;
  const files = {
    GITHUB_OUTPUT: join(job.root, `output-${step}`),
    GITHUB_STEP_SUMMARY: join(job.root, `summary-${step}`),
    GITHUB_ENV: join(job.root, `env-${step}`),
    GITHUB_STATE: join(job.root, `state-${step}`),
  };
  for (const f of Object.values(files)) await writeFile(f, '');

  const childEnv: Record<string, string> = {};
  // Only what a runner passes: PATH and HOME from this machine, no GLOBUS_/SREGISTRY_ settings leaking in.
  for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR'])
    if (process.env[key] !== undefined) childEnv[key] = process.env[key]!;
  Object.assign(childEnv, files, {
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: job.workspace,
    RUNNER_TEMP: job.runnerTemp,
    RUNNER_OS: 'Linux',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    // github.com: @actions/cache treats any other host as GitHub Enterprise Server (cache service v1 only).
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'lab/images',
    GITHUB_RUN_ID: '4242',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_WORKFLOW: 'build images',
    GITHUB_ACTION_PATH: ACTION_DIR,
  });
  for (const [name, spec] of Object.entries(yml.inputs)) {
    const value = inputs[name] ?? spec.default ?? '';
    childEnv[inputVariable(name)] = value;
  }
  for (const [name, value] of Object.entries(inputs)) {
    if (!(name in yml.inputs)) throw new Error(`action.yml has no input ${name}`);
    childEnv[inputVariable(name)] = value;
  }
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[key];
    else childEnv[key] = value;
  }

  const { code, stdout, stderr } = await watchChild(process.execPath, [join(ACTION_DIR, yml.runs.main)], {
    cwd: job.workspace,
    env: childEnv,
  }).exited;
  const lines = stdout.split('\n');
  return {
    code,
    stdout,
    stderr,
    outputs: parseFileCommands(await readFile(files.GITHUB_OUTPUT, 'utf8')),
    summary: await readFile(files.GITHUB_STEP_SUMMARY, 'utf8'),
    errors: lines.filter((l) => l.startsWith('::error')),
    warnings: lines.filter((l) => l.startsWith('::warning')),
  };
}

/** Everything a run printed or wrote, minus the `::add-mask::` commands whose job is to carry the secret to the runner. */
export const visibleText = (run: ActionRun): string =>
  [
    run.stdout
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n'),
    run.stderr,
    run.summary,
    JSON.stringify(run.outputs),
  ].join('\n');
