/** Transfer tasks as the operations run them: submit without losing the task id to an abort, wait with progress, cancel a held task. */
import { SregistryError, isSregistryError } from '../../errors.js';
import type { TaskDocument } from '../../transfer/documents.js';
import type { TransferItem } from '../../transfer/index.js';
import { endpointInfo } from '../endpoint.js';
import type { Session } from '../session.js';
import { cancelTask, getEndpoint, submitDelete, submitTransfer, waitForTask } from '../../transfer/index.js';

export interface TaskRun {
  session: Session;
  signal?: AbortSignal;
  /** `collection/name:tag` for progress events. */
  image: string;
  /** Total bytes expected, for progress. */
  total?: number;
}

const SUBMIT_BOUND_MS = 120_000;

/**
 * A submit is not cut short by the caller's abort: an abort between the request and its
 * answer would leave a task running whose id nobody knows. The submit finishes (bounded),
 * and an abort that came meanwhile cancels the task it created.
 */
async function submitThenHonourAbort(
  run: TaskRun,
  submit: (signal: AbortSignal) => Promise<{ taskId: string }>,
): Promise<string> {
  checkAborted(run.signal);
  const { taskId } = await submit(AbortSignal.timeout(SUBMIT_BOUND_MS));
  if (run.signal?.aborted) {
    await cancelTask(run.session.transfer, taskId, { signal: AbortSignal.timeout(30_000) }).catch(() => undefined);
    throw new SregistryError('ABORTED', `The operation was aborted; Transfer task ${taskId} was cancelled`);
  }
  return taskId;
}

/** Waits for a task, turning its polls into progress events; abort cancels it, and so does giving up on a held task. */
export async function waitTask(run: TaskRun, taskId: string): Promise<TaskDocument> {
  const { session } = run;
  const o = session.options;
  try {
    return await waitForTask(session.transfer, taskId, {
      pollMs: o.pollMs,
      maxPollMs: o.maxPollMs,
      errorGraceMs: o.taskErrorGraceMs,
      ...(run.signal ? { signal: run.signal } : {}),
      onState: (state) => {
        // Queued and retrying are shown as such, so a waiting task does not look stuck.
        if (state.kind === 'queued') session.step(`task ${taskId} is queued behind this client's other tasks`);
        else if (state.kind === 'retrying')
          session.step(`task ${taskId}: Globus is retrying ${state.code} (${state.description})`);
        else if (state.kind === 'held') session.step(`task ${taskId} is INACTIVE (${state.code})`);
        else session.step(`task ${taskId} is running`);
      },
      onProgress: (task: TaskDocument) => {
        const moved = typeof task.bytes_transferred === 'number' ? task.bytes_transferred : 0;
        // A task may carry the small manifest beside the image; progress is the image's.
        const bytes = run.total !== undefined ? Math.min(moved, run.total) : moved;
        session.progress({
          phase: 'transfer',
          image: run.image,
          bytes,
          ...(run.total !== undefined ? { total: run.total } : {}),
          taskId,
        });
      },
    });
  } catch (err) {
    // The operation fails and cleans up now: a held task must not resume later and write after that.
    if (!isSregistryError(err) || err.code !== 'TASK_INACTIVE') throw err;
    await cancelTask(session.transfer, taskId, { signal: AbortSignal.timeout(30_000) }).catch(() => undefined);
    const why = err.message.replace(/; fix that and wait again, or cancel the task$/, '');
    throw new SregistryError('TASK_INACTIVE', `${why}; the task was cancelled: fix that and run the command again`, {
      cause: err,
    });
  }
}

/** Submits a transfer with checksum sync and verification, and waits for it. */
export async function transferAndWait(
  run: TaskRun,
  source: string,
  destination: string,
  items: TransferItem[],
  label: string,
): Promise<string> {
  // Globus would keep a task on a disconnected personal endpoint ACTIVE for hours; say so now.
  for (const id of new Set([source, destination])) await assertConnected(run, id);
  const taskId = await submitThenHonourAbort(run, (signal) =>
    submitTransfer(run.session.transfer, {
      source,
      destination,
      items,
      label,
      syncLevel: 'checksum',
      verifyChecksum: true,
      signal,
    }),
  );
  run.session.step(`waiting for transfer task ${taskId}`);
  try {
    await waitTask(run, taskId);
  } catch (err) {
    throw permissionFailure(err) ?? err;
  }
  return taskId;
}

/**
 * Fails at once when a Globus Connect Personal end of the task is disconnected. An end
 * this session already knows as another kind costs nothing; any other end (the local
 * endpoint) is read once per task, since a personal endpoint's connection comes and goes.
 */
export async function assertConnected(run: Pick<TaskRun, 'session' | 'signal'>, id: string): Promise<void> {
  const known = run.session.knownEndpoint(id);
  if (known && known.entityType !== 'GCP_mapped_collection') return;
  const now = endpointInfo(
    await getEndpoint(run.session.transfer, known?.id ?? id, run.signal ? { signal: run.signal } : {}),
  );
  if (now.gcpConnected !== false) return;
  throw new SregistryError(
    'EXTERNAL_ERROR',
    `Globus Connect Personal endpoint ${now.displayName} (${now.id}) is not connected to Globus, so a transfer task would wait for it for hours; start Globus Connect Personal on that machine (or use --transport https), then try again`,
    { globusCode: 'GCDisconnected' },
  );
}

/** A task that failed for want of permission is a PERMISSION_DENIED, whatever moved it. */
function permissionFailure(err: unknown): SregistryError | undefined {
  if (
    !isSregistryError(err) ||
    err.code !== 'TASK_FAILED' ||
    !/PERMISSION_DENIED|PermissionDenied/i.test(err.globusCode ?? '')
  )
    return undefined;
  return new SregistryError(
    'PERMISSION_DENIED',
    `${err.message.replace(/; check the paths.*$/, '')}; ask the collection's manager for write access to the registry folder`,
    {
      ...(err.globusCode ? { globusCode: err.globusCode } : {}),
      cause: err,
    },
  );
}

/** Deletes paths in one task (missing ones ignored) and waits. */
export async function deleteAndWait(run: TaskRun, endpoint: string, paths: string[], label: string): Promise<string> {
  const taskId = await submitThenHonourAbort(run, (signal) =>
    submitDelete(run.session.transfer, { endpoint, paths, ignoreMissing: true, label, signal }),
  );
  run.session.step(`waiting for delete task ${taskId}`);
  await waitTask(run, taskId);
  return taskId;
}

export const checkAborted = (signal?: AbortSignal): void => {
  if (signal?.aborted) throw new SregistryError('ABORTED', 'The operation was aborted by the caller');
};
