import { SregistryError, isSregistryError, type ErrorCode } from '../errors.js';
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
  /**
   * What an INACTIVE task means: by default it may stay so for `errorGraceMs` (an endpoint
   * that drops for a minute must not cancel the transfer), then TASK_INACTIVE is thrown;
   * `fail` throws at once, `wait` keeps polling for as long as it takes.
   */
  inactive?: 'fail' | 'wait';
  /**
   * How long an error may persist before the wait gives up, ms: an ACTIVE task whose
   * nice_status names the same error all along (Globus retries it until the deadline), or
   * an INACTIVE task. The task is then cancelled. Default DEFAULT_ERROR_GRACE_MS.
   */
  errorGraceMs?: number;
  /** Told when the task's state as a user would read it changes: queued, retrying an error, held, running. */
  onState?: (state: TaskState) => void;
}

/** The task's state as a user reads it. */
export type TaskState =
  | { kind: 'queued' }
  | { kind: 'running' }
  | { kind: 'retrying'; code: string; description: string; since: number }
  | { kind: 'held'; code: string; since: number };

/** Globus keeps retrying most errors for a day; a client gives up on one that persisted this long. */
export const DEFAULT_ERROR_GRACE_MS = 5 * 60_000;

/** The SDKs poll no faster than once a second; lower values are for the local sandbox only. */
export const DEFAULT_POLL_MS = 1000;
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
  const timeout =
    options.timeoutMs !== undefined ? setTimeout(() => timer.abort(), Math.max(0, options.timeoutMs)) : undefined;
  const signal = caller ? AbortSignal.any([caller, timer.signal]) : timer.signal;
  const grace = Math.max(0, options.errorGraceMs ?? DEFAULT_ERROR_GRACE_MS);
  const tracker = new StateTracker(options.onState);
  try {
    for (;;) {
      const task = await getTask(api, id, { signal });
      options.onProgress?.(task);
      if (task.status === 'SUCCEEDED') return task;
      if (task.status === 'FAILED') throw await taskFailed(api, task, caller);
      const state = tracker.see(task, Date.now());
      if (state.kind === 'held') {
        const mode = options.inactive;
        if (mode === 'fail' || (mode !== 'wait' && Date.now() - state.since >= grace)) {
          throw taskInactive(task, mode === 'fail' ? undefined : grace);
        }
      }
      if (state.kind === 'retrying' && Date.now() - state.since >= grace) {
        const canceled = await cancelQuietly(api, id);
        throw persistentError(task, state, grace, canceled);
      }
      await abortableSleep(delay, signal);
      delay = Math.min(delay * BACKOFF, maxPoll);
    }
  } catch (err) {
    if (isSregistryError(err) && (err.code === 'TASK_FAILED' || err.code === 'TASK_INACTIVE')) throw err;
    if (timer.signal.aborted && !caller?.aborted) {
      const canceled = await cancelQuietly(api, id);
      throw new SregistryError(
        'TIMEOUT',
        `Task ${id} did not finish within ${options.timeoutMs} ms; ${canceled}; allow a longer wait if the transfer needs it`,
        { cause: err },
      );
    }
    if (caller?.aborted) {
      const canceled = await cancelQuietly(api, id);
      const last = tracker.lastError;
      const seen = last ? `; the last error it reported: ${last.code} (${safeText(last.description, [], 200)})` : '';
      throw new SregistryError('ABORTED', `Waiting for task ${id} was aborted; ${canceled}${seen}`, {
        cause: err,
        ...(last ? { globusCode: last.code } : {}),
      });
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

async function taskFailed(
  api: TransferApi,
  task: TaskDocument,
  signal: AbortSignal | undefined,
): Promise<SregistryError> {
  const fatal = task.fatal_error;
  const last = await lastErrorEvent(api, task.task_id, signal);
  const reason = fatal ? `${fatal.code} (${fatal.description})` : 'no fatal_error given';
  const detail = last
    ? `; last error: ${last.description}${last.details ? `: ${safeText(last.details, [], 240)}` : ''}`
    : '';
  const kind = task.type === 'DELETE' ? 'Delete' : 'Transfer';
  // The source is not the bytes its external_checksum names: a damaged or replaced copy, which no retry mends.
  if (fatal?.code === 'EXTERNAL_CHECKSUM_MISMATCH') {
    return new SregistryError(
      'CHECKSUM_MISMATCH',
      safeText(
        `${kind} task ${task.task_id} failed: Globus found a source file whose checksum is not the one it is named by${detail}; nothing was published, and if it repeats the source copy is damaged (push it again)`,
        [],
        600,
      ),
      { globusCode: fatal.code },
    );
  }
  return new SregistryError(
    'TASK_FAILED',
    safeText(
      `${kind} task ${task.task_id} failed: ${reason}${detail}; check the paths and the permissions on both endpoints, then submit again`,
      [],
      600,
    ),
    fatal ? { globusCode: fatal.code } : {},
  );
}

/** The newest event marked as an error, if any can be read; its absence never hides the failure. */
async function lastErrorEvent(
  api: TransferApi,
  id: string,
  signal: AbortSignal | undefined,
): Promise<TaskEvent | undefined> {
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

function taskInactive(task: TaskDocument, graceMs: number | undefined): SregistryError {
  const status = task.nice_status ?? task.nice_status_short_description ?? 'no reason given';
  const already = graceMs !== undefined ? ` for ${minutes(graceMs)}` : '';
  return new SregistryError(
    'TASK_INACTIVE',
    `Task ${task.task_id} is INACTIVE (${status})${already}: Globus holds it until the problem is fixed, e.g. an endpoint comes back online or a permission is granted; fix that and wait again, or cancel the task`,
    task.nice_status ? { globusCode: task.nice_status } : {},
  );
}

/** nice_status values that name no error. */
const CALM = new Set(['OK', 'Queued', 'QUEUED']);

/** The error codes of nice_status that map onto the core's own codes. */
const ERROR_CODES: Record<string, ErrorCode> = {
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  FILE_NOT_FOUND: 'NOT_FOUND',
  GC_NOT_CONNECTED: 'EXTERNAL_ERROR',
  ENDPOINT_ERROR: 'EXTERNAL_ERROR',
  CONNECT_FAILED: 'EXTERNAL_ERROR',
};

const ADVICE: Record<string, string> = {
  PERMISSION_DENIED: "ask the collection's manager for write access to the registry folder",
  FILE_NOT_FOUND: 'check that the paths exist on both endpoints',
  GC_NOT_CONNECTED: 'start Globus Connect Personal on that machine (or connect it) and run the command again',
  QUOTA_EXCEEDED: 'free space on the destination or ask for more quota',
};

function persistentError(
  task: TaskDocument,
  state: Extract<TaskState, { kind: 'retrying' }>,
  graceMs: number,
  canceled: string,
): SregistryError {
  const kind = task.type === 'DELETE' ? 'Delete' : 'Transfer';
  const advice = ADVICE[state.code] ?? 'fix that and run the command again';
  return new SregistryError(
    ERROR_CODES[state.code] ?? 'TASK_FAILED',
    safeText(
      `${kind} task ${task.task_id} kept failing with ${state.code} (${state.description}) for ${minutes(graceMs)} while Globus retried it; ${canceled}: ${advice}`,
      [],
      600,
    ),
    { globusCode: state.code },
  );
}

const minutes = (ms: number): string =>
  ms >= 60_000 ? `${Math.round(ms / 6000) / 10} min` : `${Math.round(ms / 100) / 10} s`;

/**
 * Reads a task's state from its document: Queued, held (INACTIVE), retrying an error
 * (ACTIVE with an error in nice_status), or running. An error persists while nice_status
 * keeps naming the same code; any other answer restarts the clock.
 */
class StateTracker {
  #state: TaskState = { kind: 'running' };
  lastError: { code: string; description: string } | undefined;

  constructor(private readonly onState?: (state: TaskState) => void) {}

  see(task: TaskDocument, now: number): TaskState {
    const nice = typeof task.nice_status === 'string' ? task.nice_status : undefined;
    const short =
      typeof task.nice_status_short_description === 'string' ? task.nice_status_short_description : undefined;
    const description = safeText(short ?? nice ?? '', [], 200);
    let next: TaskState;
    if (task.status === 'INACTIVE') {
      const code = nice ?? 'INACTIVE';
      next =
        this.#state.kind === 'held' && this.#state.code === code ? this.#state : { kind: 'held', code, since: now };
    } else if (nice === 'Queued' || nice === 'QUEUED') {
      next = this.#state.kind === 'queued' ? this.#state : { kind: 'queued' };
    } else if (nice && !CALM.has(nice)) {
      next =
        this.#state.kind === 'retrying' && this.#state.code === nice
          ? this.#state
          : { kind: 'retrying', code: nice, description, since: now };
      this.lastError = { code: nice, description };
    } else {
      next = this.#state.kind === 'running' ? this.#state : { kind: 'running' };
    }
    if (next !== this.#state) {
      this.#state = next;
      this.onState?.(next);
    }
    return next;
  }
}
