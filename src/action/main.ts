/**
 * The Action's entry: mask the secret before anything is printed, read the inputs, run
 * push or pull through the registry, then outputs and the job summary. Any failure ends
 * in exactly one error line and exit code 1.
 */
import * as core from '@actions/core';
import type { Registry } from '../core/registry/registry.js';
import type { ImageResult } from '../core/registry/types.js';
import { eventLogger, progressReporter } from './events.js';
import { failureMessage } from './failure.js';
import { envInputs, inputVariable, readInputs, type ActionInputs } from './inputs.js';
import { actionLog } from './log.js';
import type { RunContext } from './push.js';
import { Redactor } from './redact.js';
import type { SummaryRow } from './summary.js';

// The core and the command modules load once the inputs are known to be usable, so a
// step with bad inputs fails without paying for them (the bundle keeps them in chunks).
const loadRun = () =>
  Promise.all([import('../core/registry/registry.js'), import('./registry-options.js'), import('./pull.js'), import('./push.js'), import('./outputs.js')]);

export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const secret = (env[inputVariable('client-secret')] ?? '').trim();
  if (secret !== '') core.setSecret(secret);
  const redactor = new Redactor();
  redactor.add(secret);
  const log = actionLog(redactor);

  const abort = new AbortController();
  const onSignal = (): void => abort.abort(new Error('the job was cancelled'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const rows: SummaryRow[] = [];
  let inputs: ActionInputs | undefined;
  let registry: Registry | undefined;
  try {
    inputs = readInputs(envInputs(env));
    const [{ Registry }, { registryOptions }, { runPull }, { runPush }, { setOutputs }] = await loadRun();
    if (!inputs.wait) log.warning('wait: false has no effect: an image is published only once all its bytes are there, so the step waits for it');
    registry = new Registry(
      registryOptions(inputs, env, {
        onProgress: progressReporter((line) => log.info(line)),
        onEvent: eventLogger(log),
        onToken: (token) => {
          core.setSecret(token);
          redactor.add(token);
        },
      }),
    );
    const ctx: RunContext = { inputs, registry, log, env, rows, signal: abort.signal };
    const results: ImageResult[] = inputs.command === 'pull' ? await runPull(ctx) : await runPush(ctx);
    setOutputs(results);
    await summarize(inputs, rows, log);
  } catch (err) {
    const message = redactor.redact(failureMessage(err));
    if (inputs) await summarize(inputs, rows, log, message);
    core.setFailed(message);
  } finally {
    await registry?.close().catch(() => undefined);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function summarize(inputs: ActionInputs, rows: SummaryRow[], log: ReturnType<typeof actionLog>, failure?: string): Promise<void> {
  try {
    const { writeSummary } = await import('./summary.js');
    await writeSummary(inputs.command, inputs.endpoint, rows, failure);
  } catch (err) {
    log.warning(`Could not write the job summary: ${(err as Error).message}`);
  }
}
