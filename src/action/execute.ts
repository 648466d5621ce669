/**
 * A run whose inputs hold: the registry, push or pull, and the step outputs. Loaded by
 * main.ts with import() once the inputs are checked, since it brings the whole core.
 */
import { Registry, type ImageResult, type Redactor } from '../index.js';
import { registryOptions, type ActionInputs, type RunContext } from './inputs.js';
import { runPull } from './pull.js';
import { runPush } from './push.js';
import { eventLogger, progressReporter, setOutputs, type Log, type SummaryRow } from './report.js';
import type { Workflow } from './workflow.js';

export interface Execution {
  inputs: ActionInputs;
  env: NodeJS.ProcessEnv;
  log: Log;
  /** Filled as images finish, for the summary even when a later one fails. */
  rows: SummaryRow[];
  signal: AbortSignal;
  workflow: Workflow;
  redactor: Redactor;
}

export async function execute({ inputs, env, log, rows, signal, workflow, redactor }: Execution): Promise<void> {
  const registry = new Registry(
    registryOptions(inputs, env, {
      onProgress: progressReporter((line) => log.info(line)),
      onEvent: eventLogger(log),
      onToken: (token) => {
        workflow.mask(token);
        redactor.add(token);
      },
    }),
  );
  try {
    const ctx: RunContext = { inputs, registry, log, env, rows, signal };
    const results: ImageResult[] = inputs.command === 'pull' ? await runPull(ctx) : await runPush(ctx);
    setOutputs(inputs.command, results);
  } finally {
    await registry.close().catch(() => undefined);
  }
}
