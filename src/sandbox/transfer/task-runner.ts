import type { SandboxContext } from '../context.js';
import { failureForStop } from './task-failures.js';
import { TaskFailure, describeCode, type SandboxTask, type StopReason } from './task-model.js';
import { runDelete } from './delete-run.js';
import { runTransfer } from './transfer-run.js';

/**
 * The life of a task in the background: consult the fault book, maybe wait INACTIVE until
 * released, move the data, end SUCCEEDED or FAILED with an event either way. Cancel,
 * deadline and sandbox shutdown all arrive as an abort of the task's signal.
 */

/** setTimeout's longest delay; a deadline further away is not timed (the sandbox will not live that long). */
const MAX_TIMER = 2 ** 31 - 1;

export function startTask(ctx: SandboxContext, task: SandboxTask): void {
  task.done = run(ctx, task);
  ctx.track(task.done);
}

export function addEvent(task: SandboxTask, code: string, details: string, isError: boolean): void {
  task.events.push({ code, description: describeCode(code), details, isError, time: new Date() });
}

async function run(ctx: SandboxContext, task: SandboxTask): Promise<void> {
  const signal = AbortSignal.any([task.abort.signal, ctx.signal]);
  const untilDeadline = task.options.deadline.getTime() - Date.now();
  const timer = untilDeadline <= MAX_TIMER ? setTimeout(() => task.abort.abort('deadline' satisfies StopReason), Math.max(0, untilDeadline)) : undefined;
  // Let the submit answer go out before anything happens.
  await new Promise((resolve) => setImmediate(resolve));
  // A deadline already past fails the task whichever of timer and runner comes first.
  if (Date.now() >= task.options.deadline.getTime()) task.abort.abort('deadline' satisfies StopReason);
  try {
    const fault = ctx.faults.takeTask(task.type);
    if (fault?.kind === 'task-inactive') await hold(ctx, task, fault.niceStatus ?? 'PERMISSION_DENIED', signal);
    signal.throwIfAborted();
    task.startTime = new Date();
    task.niceStatus = 'OK';
    addEvent(task, 'STARTED', JSON.stringify({ type: task.type === 'TRANSFER' ? 'Sandbox Transfer' : 'Sandbox Delete', concurrency: 1 }, null, 2), false);
    if (fault?.kind === 'task-fail') throw new TaskFailure(fault.code, fault.description ?? `Injected fault: ${describeCode(fault.code)}`);
    if (task.type === 'TRANSFER') await runTransfer(ctx, task, signal);
    else await runDelete(task, signal);
    succeed(task);
  } catch (err) {
    fail(task, stopReason(task, ctx) ?? err);
  } finally {
    clearTimeout(timer);
  }
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
  addEvent(task, 'SUCCEEDED', JSON.stringify({ files_transferred: c.filesTransferred, files_skipped: c.filesSkipped, bytes_transferred: c.bytesTransferred }, null, 2), false);
}

function fail(task: SandboxTask, cause: unknown): void {
  const failure =
    cause === 'canceled' || cause === 'deadline' || cause === 'shutdown'
      ? failureForStop(cause)
      : cause instanceof TaskFailure
        ? cause
        : new TaskFailure('ENDPOINT_ERROR', 'The sandbox failed while running the task');
  if (!(cause instanceof TaskFailure) && typeof cause !== 'string') process.emitWarning(`sandbox task ${task.id}: ${(cause as Error)?.stack ?? String(cause)}`);
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
  c.subtasksTotal = Math.max(c.subtasksTotal, c.subtasksSucceeded + c.subtasksFailed + c.subtasksCanceled + c.subtasksExpired);
  addEvent(task, failure.code, failure.details, true);
}
