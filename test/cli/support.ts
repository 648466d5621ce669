/** Runs the built CLI (`node bin/sregistry-globus.js`) as a real process and keeps every run's output. */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { watchChild } from '../support/child.js';
import type { TestSandbox } from '../support/sandbox.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(REPO, 'bin', 'sregistry-globus.js');

export interface CliRun {
  args: string[];
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm test` builds lib/ first; a clear message beats a module-not-found from the child. */
export function assertBuilt(): void {
  if (!existsSync(join(REPO, 'lib', 'cli', 'main.js')))
    throw new Error('lib/cli/main.js is missing: run `npx tsc -p tsconfig.build.json` (npm test does) first');
}

/** Environment for a CLI run against `sb`: its credentials and URLs, storage and HOME inside its temp folder. */
export async function sandboxEnv(
  sb: TestSandbox,
  client: { id: string; secret: string } = sb.client,
): Promise<NodeJS.ProcessEnv> {
  const home = join(sb.tmp, 'cli-home');
  await mkdir(home, { recursive: true });
  return {
    PATH: process.env.PATH,
    HOME: home,
    GLOBUS_CLIENT_ID: client.id,
    GLOBUS_CLIENT_SECRET: client.secret,
    GLOBUS_SDK_SERVICE_URL_AUTH: `${sb.url}/`,
    GLOBUS_SDK_SERVICE_URL_TRANSFER: `${sb.url}/`,
    SREGISTRY_STORAGE: join(sb.tmp, 'storage'),
    // sregistry-cli's meaning: the folder of sregistry.db (here the sandbox's temp folder).
    SREGISTRY_DATABASE: sb.tmp,
  };
}

export class Cli {
  /** Every run so far, for the final scan for secrets. */
  readonly runs: CliRun[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /** stdout and stderr are pipes. */
  run(args: string[], env: NodeJS.ProcessEnv = this.env): Promise<CliRun> {
    return this.#spawn(process.execPath, [BIN, ...args], args, env);
  }

  /** Runs the CLI behind a wrapper command, e.g. `faketime -f +3h node`: `prefix` ends with the node binary. */
  runWith(wrapper: string, prefix: string[], args: string[], env: NodeJS.ProcessEnv = this.env): Promise<CliRun> {
    return this.#spawn(wrapper, [...prefix, BIN, ...args], args, env);
  }

  /**
   * Runs the CLI in a pseudo-terminal through util-linux `script`; stdout and stderr both
   * land in `stdout` (the terminal), `stderr` holds only script's own complaints.
   */
  runInTerminal(args: string[], env: NodeJS.ProcessEnv = this.env): Promise<CliRun> {
    const command = [process.execPath, BIN, ...args].map(shellQuote).join(' ');
    return this.#spawn('script', ['-qfec', command, '/dev/null'], args, { ...env, TERM: 'xterm' });
  }

  async #spawn(file: string, argv: string[], args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
    const { code, stdout, stderr } = await watchChild(file, argv, { cwd: REPO, env }).exited;
    const run = { args, code, stdout, stderr };
    this.runs.push(run);
    return run;
  }
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Parses stdout as exactly one JSON document (throws when there is anything else). */
export function json<T = Record<string, unknown>>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(
      `stdout of "${run.args.join(' ')}" is not one JSON document (exit ${run.code}):\n${run.stdout}\nstderr:\n${run.stderr}`,
    );
  }
}

/** Secrets found in any run's output: the client secret(s) and every token the sandbox issued. */
export function leakedSecrets(runs: CliRun[], secrets: string[]): string[] {
  const found: string[] = [];
  for (const run of runs) {
    for (const secret of secrets) {
      if (secret && (run.stdout.includes(secret) || run.stderr.includes(secret)))
        found.push(`${secret.slice(0, 6)}… in "${run.args.join(' ')}"`);
    }
  }
  return found;
}
