import { SandboxError } from '../../errors.js';

/**
 * How a task fails: the failure that ends it, and whatever stopped it turned into the
 * fatal_error code the service would report. Disk paths never reach the client: details
 * name the endpoint path instead.
 */

/** Why a task's abort signal fired. */
export type StopReason = 'canceled' | 'deadline' | 'shutdown';

/** A failure that ends a task FAILED with this fatal_error code. */
export class TaskFailure extends Error {
  constructor(
    readonly code: string,
    readonly details: string,
    /** Ends the task at once; otherwise a recoverable code is retried until the deadline, as Globus does. */
    readonly fatal = false,
  ) {
    super(details);
    this.name = 'TaskFailure';
  }
}

/** "FILE_NOT_FOUND" → "file not found", the way the service words its descriptions. */
export const describeCode = (code: string): string => code.toLowerCase().replace(/_/g, ' ');

const ERRNO_CODES: Record<string, string> = {
  ENOENT: 'FILE_NOT_FOUND',
  EACCES: 'PERMISSION_DENIED',
  EPERM: 'PERMISSION_DENIED',
  EROFS: 'PERMISSION_DENIED',
  ENOSPC: 'QUOTA_EXCEEDED',
  EDQUOT: 'QUOTA_EXCEEDED',
  EISDIR: 'IS_A_DIRECTORY',
  ENOTDIR: 'NOT_A_DIRECTORY',
  ENOTEMPTY: 'DIRECTORY_NOT_EMPTY',
};

export function failureFor(err: unknown, endpointPath: string, endpointName: string): TaskFailure {
  if (err instanceof TaskFailure) return err;
  if (err instanceof SandboxError) {
    const code = err.status === 403 ? 'PERMISSION_DENIED' : err.status === 404 ? 'FILE_NOT_FOUND' : 'ENDPOINT_ERROR';
    return new TaskFailure(code, `Endpoint: ${endpointName}\nFile: ${endpointPath}\nMessage: ${err.message}`);
  }
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  const code = (errno && ERRNO_CODES[errno]) ?? 'ENDPOINT_ERROR';
  const reason = errno ?? (err instanceof Error ? err.name : 'error');
  return new TaskFailure(code, `Endpoint: ${endpointName}\nFile: ${endpointPath}\nMessage: ${reason}`);
}

/** Runs a filesystem step, reporting a failure against the endpoint path it concerned. */
export async function onPath<T>(
  endpointPath: string,
  endpointName: string,
  signal: AbortSignal,
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (err) {
    // An abort surfaces as whatever the interrupted call threw; the stop reason wins.
    if (signal.aborted) throw signal.reason as unknown;
    throw failureFor(err, endpointPath, endpointName);
  }
}

export function failureForStop(reason: StopReason): TaskFailure {
  switch (reason) {
    case 'canceled':
      return new TaskFailure('CANCELED', 'Canceled by the task owner');
    case 'deadline':
      return new TaskFailure('DEADLINE_EXCEEDED', 'The task did not complete before its deadline');
    case 'shutdown':
      return new TaskFailure('CANCELED', 'The sandbox stopped before the task completed');
  }
}
