import { setTimeout as sleep } from 'node:timers/promises';
import { scaled } from '../../behaviour.js';
import type { SandboxContext } from '../../context.js';
import { TaskFailure, describeCode, failureForStop, type StopReason } from './failures.js';
import type { SandboxTask } from './model.js';
import { runDelete } from './delete-run.js';
import { runTransfer } from './transfer-run.js';

/**
 * The life of a task in the background, as Globus runs it: wait for one of the client's
 * task slots ("Queued"), consult the fault book (maybe INACTIVE until released), move the
 * data. A recoverable error (permission denied, quota, an endpoint error, a disconnected
 * Globus Connect Personal, a missing destination folder) does not end the task: it stays
 * ACTIVE with the error in nice_status and an error event, and is tried again until it
 * works or the deadline ends it FAILED with an EXPIRED event. A missing source, or a
 * folder without `recursive`, fails it at once. Cancel, deadline and sandbox shutdown all
 * arrive as an abort of the task's signal. Times scale with the world's time_scale.
 */

/** setTimeout's longest delay; a deadline further away is not timed (the sandbox will not live that long). */
const MAX_TIMER = 2 ** 31 - 1;
/** Globus retries a faulted task after a while; a minute, scaled. */
export const RETRY_MS = 60_000;
/** A delete of a missing path fails FILE_NOT_FOUND within about a second. */
const FATAL_DELAY_MS = 1000;
/** A transfer that made progress may run until 72 h after its request. */
const PROGRESS_DEADLINE_MS = 72 * 3600 * 1000;

const RECOVERABLE = new Set([
  'PERMISSION_DENIED',
  'QUOTA_EXCEEDED',
  'ENDPOINT_ERROR',
  'GC_NOT_CONNECTED',
  'FILE_NOT_FOUND',
]);

export function startTask(ctx: SandboxContext, task: SandboxTask): void {
  task.done = run(ctx, task);
  ctx.track(task.done);
}

export function addEvent(task: SandboxTask, code: string, details: string, isError: boolean): void {
  task.events.push({ code, description: describeCode(code), details, isError, time: new Date() });
}

async function run(ctx: SandboxContext, task: SandboxTask): Promise<void> {
  const signal = AbortSignal.any([task.abort.signal, ctx.signal]);
  const deadline = deadlineTimer(task);
  // Let the submit answer go out before anything happens.
  await new Promise((resolve) => setImmediate(resolve));
  // A deadline already past fails the task whichever of timer and runner comes first.
  if (Date.now() >= task.options.deadline.getTime()) task.abort.abort('deadline' satisfies StopReason);
  let release: (() => void) | undefined;
  try {
    release = await takeSlot(ctx, task, signal);
    const fault = ctx.faults.takeTask(task.type);
    if (fault?.kind === 'task-inactive') await hold(ctx, task, fault.niceStatus ?? 'PERMISSION_DENIED', signal);
    signal.throwIfAborted();
    task.startTime = new Date();
    task.niceStatus = 'OK';
    addEvent(
      task,
      'STARTED',
      JSON.stringify(
        { type: task.type === 'TRANSFER' ? 'Sandbox Transfer' : 'Sandbox Delete', concurrency: 1 },
        null,
        2,
      ),
      false,
    );
    if (fault?.kind === 'task-fail')
      throw new TaskFailure(fault.code, fault.description ?? `Injected fault: ${describeCode(fault.code)}`, true);
    await attemptUntilDone(ctx, task, signal, () => deadline.extend());
    succeed(task);
  } catch (err) {
    fail(task, stopReason(task, ctx) ?? err);
  } finally {
    release?.();
    deadline.clear();
  }
}

/** Runs the task's work, retrying recoverable failures with the error shown in nice_status. */
async function attemptUntilDone(
  ctx: SandboxContext,
  task: SandboxTask,
  signal: AbortSignal,
  onProgress: () => void,
): Promise<void> {
  const b = ctx.world.behaviour;
  for (;;) {
    const before = task.counters.bytesTransferred;
    try {
      const offline = [task.source, task.destination].find((e) => e?.connected === false);
      if (offline)
        throw new TaskFailure(
          'GC_NOT_CONNECTED',
          `Endpoint: ${offline.displayName}\nMessage: The GCP endpoint is not currently connected to Globus`,
        );
      if (task.type === 'TRANSFER') await runTransfer(ctx, task, signal);
      else await runDelete(task, signal);
      return;
    } catch (err) {
      if (signal.aborted || !(err instanceof TaskFailure)) throw err;
      if (task.counters.bytesTransferred > before) onProgress();
      if (err.fatal || !RECOVERABLE.has(err.code) || (task.type === 'DELETE' && err.code === 'FILE_NOT_FOUND')) {
        if (!err.fatal) await sleep(scaled(b, FATAL_DELAY_MS), undefined, { signal });
        throw err;
      }
      task.niceStatus = err.code;
      task.niceStatusDescription = describeCode(err.code);
      task.niceStatusDetails = err.details;
      task.counters.faults++;
      addEvent(task, err.code, err.details, true);
      await sleep(scaled(b, RETRY_MS), undefined, { signal });
      task.niceStatus = 'OK';
      task.niceStatusDescription = null;
      task.niceStatusDetails = null;
    }
  }
}

/** The deadline's timer; `extend` moves a transfer's default deadline to 72 h (scaled) after its request, once. */
function deadlineTimer(task: SandboxTask): { extend(): void; clear(): void } {
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    const until = task.options.deadline.getTime() - Date.now();
    timer =
      until <= MAX_TIMER
        ? setTimeout(() => task.abort.abort('deadline' satisfies StopReason), Math.max(0, until))
        : undefined;
  };
  arm();
  let extended = false;
  return {
    extend() {
      if (extended || task.type !== 'TRANSFER' || task.options.deadlineGiven) return;
      extended = true;
      const scale = (task.options.deadline.getTime() - task.requestTime.getTime()) / (24 * 3600 * 1000);
      task.options.deadline = new Date(
        task.requestTime.getTime() + Math.max(1, Math.round(PROGRESS_DEADLINE_MS * scale)),
      );
      arm();
    },
    clear: () => clearTimeout(timer),
  };
}

function stopReason(task: SandboxTask, ctx: SandboxContext): StopReason | undefined {
  if (task.abort.signal.aborted) return task.abort.signal.reason as StopReason;
  return ctx.signal.aborted ? 'shutdown' : undefined;
}

/** INACTIVE until the fault book releases the task; an abort (cancel, deadline) ends the wait. */
async function hold(ctx: SandboxContext, task: SandboxTask, niceStatus: string, signal: AbortSignal): Promise<void> {
  task.status = 'INACTIVE';
  task.niceStatus = niceStatus;
  addEvent(task, niceStatus, 'The task is paused by the endpoint until the problem is resolved', true);
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      unregister();
      reject(signal.reason as Error);
    };
    const unregister = ctx.faults.onRelease(task.id, () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  task.status = 'ACTIVE';
  task.niceStatus = 'Queued';
}

function succeed(task: SandboxTask): void {
  const c = task.counters;
  task.completionTime = new Date();
  task.status = 'SUCCEEDED';
  task.niceStatus = null;
  addEvent(
    task,
    'SUCCEEDED',
    JSON.stringify(
      { files_transferred: c.filesTransferred, files_skipped: c.filesSkipped, bytes_transferred: c.bytesTransferred },
      null,
      2,
    ),
    false,
  );
}

function fail(task: SandboxTask, cause: unknown): void {
  const failure =
    cause === 'canceled' || cause === 'deadline' || cause === 'shutdown'
      ? failureForStop(cause)
      : cause instanceof TaskFailure
        ? cause
        : new TaskFailure('ENDPOINT_ERROR', 'The sandbox failed while running the task');
  if (!(cause instanceof TaskFailure) && typeof cause !== 'string')
    process.emitWarning(`sandbox task ${task.id}: ${(cause as Error)?.stack ?? String(cause)}`);
  const c = task.counters;
  task.completionTime = new Date();
  task.status = 'FAILED';
  task.niceStatus = null;
  task.fatalError = { code: failure.code, description: describeCode(failure.code) };
  c.faults++;
  const unfinished = Math.max(c.subtasksPending, 1);
  if (failure.code === 'CANCELED') c.subtasksCanceled += unfinished;
  else if (failure.code === 'DEADLINE_EXCEEDED') c.subtasksExpired += unfinished;
  else c.subtasksFailed += unfinished;
  c.subtasksPending = 0;
  c.subtasksTotal = Math.max(
    c.subtasksTotal,
    c.subtasksSucceeded + c.subtasksFailed + c.subtasksCanceled + c.subtasksExpired,
  );
  if (cause === 'deadline') addEvent(task, 'EXPIRED', 'The task deadline expired before the task completed', true);
  addEvent(task, failure.code, failure.details, true);
}

/**
 * Globus runs at most 3 transfer and 3 delete tasks of a user at once; the others wait
 * ACTIVE with nice_status "Queued" (docs.globus.org/api/transfer/task, "Task limits").
 * One queue per client and task type, first come first served.
 */

interface Queue {
  running: number;
  waiting: (() => void)[];
}

const queues = new WeakMap<SandboxContext, Map<string, Queue>>();

function queueOf(ctx: SandboxContext, task: SandboxTask): Queue {
  let byKey = queues.get(ctx);
  if (!byKey) queues.set(ctx, (byKey = new Map()));
  const key = `${task.ownerClientId} ${task.type}`;
  let q = byKey.get(key);
  if (!q) byKey.set(key, (q = { running: 0, waiting: [] }));
  return q;
}

/** Waits for a slot (the task shows "Queued" meanwhile); resolves with its release. */
async function takeSlot(ctx: SandboxContext, task: SandboxTask, signal: AbortSignal): Promise<() => void> {
  const q = queueOf(ctx, task);
  if (q.running >= ctx.world.behaviour.max_active_tasks) {
    task.niceStatus = 'Queued';
    await new Promise<void>((resolve, reject) => {
      const go = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        q.waiting = q.waiting.filter((w) => w !== go);
        reject(signal.reason as Error);
      };
      q.waiting.push(go);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
  q.running++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    q.running--;
    if (q.running < ctx.world.behaviour.max_active_tasks) q.waiting.shift()?.();
  };
}
