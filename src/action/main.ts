/**
 * The Action's run: mask the secret before anything is printed, read the inputs, then
 * load the registry and run push or pull (execute.ts), then the job summary. Everything
 * up to the inputs check is small; the registry (HTTP client, SQLite, the Actions cache)
 * is loaded only for a run whose inputs hold. Any failure ends in exactly one error line
 * and exit code 1.
 */
import { Redactor } from '../rules.js';
import { envInputs, inputVariable, readInputs, type ActionInputs } from './inputs.js';
import { actionLog, failureMessage, writeSummary, type Log, type SummaryRow } from './report.js';
import { Workflow } from './workflow.js';

/** The runner masks secrets as `***`; the redactor hides what it catches the same way. */
const MASK = '***';

export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const workflow = new Workflow(env);
  const secret = (env[inputVariable('client-secret')] ?? '').trim();
  workflow.mask(secret);
  const redactor = new Redactor(MASK);
  redactor.add(secret);
  // The signing key and its passphrase are secrets too; a multi-line value is masked line by line, as the runner needs.
  for (const name of ['signing-key', 'signing-key-passphrase']) {
    const value = (env[inputVariable(name)] ?? '').trim();
    workflow.mask(value);
    redactor.add(value);
    for (const line of value.split(/\r?\n/).map((l) => l.trim())) {
      if (line.length < 8 || line.startsWith('-----')) continue;
      workflow.mask(line);
      redactor.add(line);
    }
  }
  const log = actionLog(redactor);

  const abort = new AbortController();
  const onSignal = (): void => abort.abort(new Error('the job was cancelled'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const rows: SummaryRow[] = [];
  let inputs: ActionInputs | undefined;
  try {
    inputs = readInputs(envInputs(env));
    if (inputs.timeoutNote) log.warning(inputs.timeoutNote);
    const { execute } = await import('./execute.js');
    await execute({ inputs, env, log, rows, signal: abort.signal, workflow, redactor });
    await summarize(inputs.command, inputs.endpoint, rows, log);
  } catch (err) {
    const message = redactor.redact(failureMessage(err));
    // Inputs that did not hold still get a summary, named by what was given.
    const command = inputs?.command ?? (envInputs(env)('command').toLowerCase() || 'push');
    const endpoint = inputs?.endpoint ?? (envInputs(env)('endpoint') || '(no endpoint input)');
    await summarize(redactor.redact(command), redactor.redact(endpoint), rows, log, message);
    workflow.fail(message);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function summarize(
  command: string,
  endpoint: string,
  rows: SummaryRow[],
  log: Log,
  failure?: string,
): Promise<void> {
  try {
    await writeSummary(command, endpoint, rows, failure);
  } catch (err) {
    log.warning(`Could not write the job summary: ${(err as Error).message}`);
  }
}
