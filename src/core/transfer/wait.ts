import { SregistryError, isSregistryError } from '../errors.js';
import { safeText } from '../http/globus-error.js';
import { abortableSleep } from '../http/retry.js';
import type { TransferApi } from './api.js';
import type { TaskDocument, TaskEvent } from './documents.js';
import { cancelTask, events, getTask } from './tasks.js';

export interface WaitOptions {
  signal?: AbortSignal;
  /** First interval between polls, ms; default 500. */
  pollMs?: number;
  /** Longest interval between polls, ms; default 5000. Each interval is 1.5× the one before. */
  maxPollMs?: number;
  /** Give up after this long, ms: the task is canceled and TIMEOUT thrown. No limit by default. */
  timeoutMs?: number;
  /** Called after every poll with the task document (bytes_transferred, files, files_transferred...). */
  onProgress?: (task: TaskDocument) => void;
  /** What an INACTIVE task means: `fail` (default) throws TASK_INACTIVE at once, `wait` keeps polling. */
  inactive?: 'fail' | 'wait';
}

export const DEFAULT_POLL_MS = 500;
export const DEFAULT_MAX_POLL_MS = 5000;
const BACKOFF = 1.5;
/** How long a best-effort cancel after a timeout or abort may take, ms. */
const CANCEL_BOUND_MS = 30_000;

/**
 * Polls a task until it ends. SUCCEEDED returns the final document; FAILED throws
 * TASK_FAILED, INACTIVE throws TASK_INACTIVE (unless `inactive: 'wait'`); a timeout or an
 * abort cancels the task first, then throws TIMEOUT or ABORTED.
 */
export async function waitForTask(api: TransferApi, id: string, options: WaitOptions = {}): Promise<TaskDocument> {
  const maxPoll = Math.max(1, options.maxPollMs ?? DEFAULT_MAX_POLL_MS);
  let delay = Math.min(Math.max(1, options.pollMs ?? DEFAULT_POLL_MS), maxPoll);
  const caller = api.signalFor(options);
  const timer = new AbortController();
  const timeout = options.timeoutMs !== undefined ? setTimeout(() => timer.abort(), Math.max(0, options.timeoutMs)) : undefined;
  const signal = caller ? AbortSignal.any([caller, timer.signal]) : timer.signal;
  try {
    for (;;) {
      const task = await getTask(api, id, { signal });
      options.onProgress?.(task);
      if (task.status === 'SUCCEEDED') return task;
      if (task.status === 'FAILED') throw await taskFailed(api, task, caller);
      if (task.status === 'INACTIVE' && (options.inactive ?? 'fail') === 'fail') throw taskInactive(task);
      await abortableSleep(delay, signal);
      delay = Math.min(delay * BACKOFF, maxPoll);
    }
  } catch (err) {
    if (isSregistryError(err) && (err.code === 'TASK_FAILED' || err.code === 'TASK_INACTIVE')) throw err;
    if (timer.signal.aborted && !caller?.aborted) {
      const canceled = await cancelQuietly(api, id);
      throw new SregistryError('TIMEOUT', `Task ${id} did not finish within ${options.timeoutMs} ms; ${canceled}; allow a longer wait if the transfer needs it`, { cause: err });
    }
    if (caller?.aborted) {
      const canceled = await cancelQuietly(api, id);
      throw new SregistryError('ABORTED', `Waiting for task ${id} was aborted; ${canceled}`, { cause: err });
    }
    throw err;
  } finally {
    clearTimeout(timeout);
  }
}

/** Cancels without the (already aborted) signal of the wait; says what happened. */
async function cancelQuietly(api: TransferApi, id: string): Promise<string> {
  try {
    const result = await cancelTask(api, id, { signal: AbortSignal.timeout(CANCEL_BOUND_MS) });
    return result?.code === 'Canceled' ? 'the task was canceled' : 'the task had already ended';
  } catch (err) {
    const why = isSregistryError(err) ? err.message : String(err);
    return `canceling it failed too (${safeText(why, [], 200)}); cancel it in the Globus web app`;
  }
}

async function taskFailed(api: TransferApi, task: TaskDocument, signal: AbortSignal | undefined): Promise<SregistryError> {
  const fatal = task.fatal_error;
  const last = await lastErrorEvent(api, task.task_id, signal);
  const reason = fatal ? `${fatal.code} (${fatal.description})` : 'no fatal_error given';
  const detail = last ? `; last error: ${last.description}${last.details ? `: ${safeText(last.details, [], 240)}` : ''}` : '';
  const kind = task.type === 'DELETE' ? 'Delete' : 'Transfer';
  return new SregistryError(
    'TASK_FAILED',
    safeText(`${kind} task ${task.task_id} failed: ${reason}${detail}; check the paths and the permissions on both endpoints, then submit again`, [], 600),
    fatal ? { globusCode: fatal.code } : {},
  );
}

/** The newest event marked as an error, if any can be read; its absence never hides the failure. */
async function lastErrorEvent(api: TransferApi, id: string, signal: AbortSignal | undefined): Promise<TaskEvent | undefined> {
  try {
    let seen = 0;
    for await (const event of events(api, id, { pageSize: 25, ...(signal ? { signal } : {}) })) {
      if (event.is_error) return event;
      if (++seen >= 100) return undefined;
    }
  } catch (err) {
    if (signal?.aborted) throw err;
  }
  return undefined;
}

function taskInactive(task: TaskDocument): SregistryError {
  const status = task.nice_status ?? task.nice_status_short_description ?? 'no reason given';
  return new SregistryError(
    'TASK_INACTIVE',
    `Task ${task.task_id} is INACTIVE (${status}): Globus holds it until the problem is fixed, e.g. an endpoint comes back online or a permission is granted; fix that and wait again, or cancel the task`,
  );
}
