/**
 * The Action's run: mask the secret before anything is printed, read the inputs, run
 * push or pull through the registry, then outputs and the job summary. Any failure ends
 * in exactly one error line and exit code 1.
 */
import * as core from '@actions/core';
import { Redactor, Registry, type ImageResult } from '../index.js';
import { envInputs, inputVariable, readInputs, registryOptions, type ActionInputs, type RunContext } from './inputs.js';
import { runPull } from './pull.js';
import { runPush } from './push.js';
import { actionLog, eventLogger, failureMessage, progressReporter, setOutputs, writeSummary, type Log, type SummaryRow } from './report.js';

/** The runner masks secrets as `***`; the redactor hides what it catches the same way. */
const MASK = '***';

export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const secret = (env[inputVariable('client-secret')] ?? '').trim();
  if (secret !== '') core.setSecret(secret);
  const redactor = new Redactor(MASK);
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
    setOutputs(inputs.command, results);
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

async function summarize(inputs: ActionInputs, rows: SummaryRow[], log: Log, failure?: string): Promise<void> {
  try {
    await writeSummary(inputs.command, inputs.endpoint, rows, failure);
  } catch (err) {
    log.warning(`Could not write the job summary: ${(err as Error).message}`);
  }
}
