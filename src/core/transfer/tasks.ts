import { SregistryError } from '../errors.js';
import type { CallOptions, TransferApi } from './api.js';
import type {
  DeleteDocument,
  EventList,
  OperationResult,
  SubmissionIdDocument,
  SubmitResult,
  SyncLevelName,
  TaskDocument,
  TaskEvent,
  TransferDocument,
} from './documents.js';
import { offsetPaged } from './paging.js';

export interface TransferItem {
  source: string;
  destination: string;
  /** A folder and everything in it. */
  recursive?: boolean;
  /** The file's SHA-256 (hex): sent as `external_checksum` so Globus checks the source against it end to end. */
  sha256?: string;
}

/** No e-mail per task: a CI push or a scheduled pull would otherwise mail the client's owner every time (`globus transfer --notify off`). */
const NO_NOTIFY = { notify_on_succeeded: false, notify_on_failed: false, notify_on_inactive: false } as const;

/** Deadlines sent when the caller gives none: Globus's own limits for a transfer that progresses (72 h) and a delete (24 h). */
export const TRANSFER_DEADLINE_MS = 72 * 3600_000;
export const DELETE_DEADLINE_MS = 24 * 3600_000;

export interface SubmitTransferOptions extends CallOptions {
  source: string;
  destination: string;
  items: TransferItem[];
  label?: string;
  syncLevel?: SyncLevelName;
  verifyChecksum?: boolean;
  deadline?: Date;
  /** From `submissionId()`; fetched when absent. Resubmitting with the same id never makes a second task. */
  submissionId?: string;
}

export interface SubmitDeleteOptions extends CallOptions {
  endpoint: string;
  paths: string[];
  recursive?: boolean;
  ignoreMissing?: boolean;
  label?: string;
  deadline?: Date;
  submissionId?: string;
}

export interface Submitted {
  taskId: string;
  submissionId: string;
}

const SYNC_LEVELS: Record<SyncLevelName, 0 | 1 | 2 | 3> = { exists: 0, size: 1, mtime: 2, checksum: 3 };
const EVENT_PAGE = 100;
const LABEL_MAX = 128;

const taskPath = (id: string, rest = ''): string => `task/${encodeURIComponent(id)}${rest}`;

/** `2022-01-27T19:18:20+00:00`, the form task documents use. */
export const transferTime = (date: Date): string => {
  if (Number.isNaN(date.getTime())) throw new SregistryError('INVALID_INPUT', 'The task deadline is not a valid date');
  return date.toISOString().replace(/\.\d{3}Z$/, '+00:00');
};

/** A fresh id for one submission; send it with the submit so a retried submit cannot make two tasks. */
export async function submissionId(api: TransferApi, options: CallOptions = {}): Promise<string> {
  const doc = await api.call<SubmissionIdDocument>({
    path: 'submission_id',
    action: 'getting a submission id',
    ...options,
  });
  if (typeof doc?.value !== 'string' || doc.value === '')
    throw new SregistryError('INVALID_RESPONSE', 'Transfer answered a submission_id request without a value');
  return doc.value;
}

export async function submitTransfer(api: TransferApi, options: SubmitTransferOptions): Promise<Submitted> {
  if (options.items.length === 0) throw new SregistryError('INVALID_INPUT', 'A transfer needs at least one item');
  const signal = options.signal ? { signal: options.signal } : {};
  const id = options.submissionId ?? (await submissionId(api, signal));
  const doc: TransferDocument = {
    DATA_TYPE: 'transfer',
    submission_id: id,
    source_endpoint: options.source,
    destination_endpoint: options.destination,
    DATA: options.items.map((item) => ({
      DATA_TYPE: 'transfer_item',
      source_path: item.source,
      destination_path: item.destination,
      recursive: item.recursive ?? false,
      ...(item.sha256 !== undefined ? { external_checksum: item.sha256, checksum_algorithm: 'SHA256' } : {}),
    })),
    ...NO_NOTIFY,
    ...(options.label !== undefined ? { label: checkedLabel(options.label) } : {}),
    // Always a deadline: Globus keeps retrying a faulted task until it; 72 h, the most it would give a transfer that progresses.
    deadline: transferTime(options.deadline ?? new Date(Date.now() + TRANSFER_DEADLINE_MS)),
    ...(options.syncLevel !== undefined ? { sync_level: syncLevel(options.syncLevel) } : {}),
    ...(options.verifyChecksum !== undefined ? { verify_checksum: options.verifyChecksum } : {}),
  };
  const what = `submitting a transfer from ${options.source} to ${options.destination}`;
  return submitted(
    await api.call<SubmitResult>({ method: 'POST', path: 'transfer', json: doc, action: what, ...signal }),
    id,
    what,
  );
}

export async function submitDelete(api: TransferApi, options: SubmitDeleteOptions): Promise<Submitted> {
  if (options.paths.length === 0) throw new SregistryError('INVALID_INPUT', 'A delete needs at least one path');
  const signal = options.signal ? { signal: options.signal } : {};
  const id = options.submissionId ?? (await submissionId(api, signal));
  const doc: DeleteDocument = {
    DATA_TYPE: 'delete',
    submission_id: id,
    endpoint: options.endpoint,
    DATA: options.paths.map((path) => ({ DATA_TYPE: 'delete_item', path })),
    recursive: options.recursive ?? false,
    ignore_missing: options.ignoreMissing ?? false,
    ...NO_NOTIFY,
    ...(options.label !== undefined ? { label: checkedLabel(options.label) } : {}),
    deadline: transferTime(options.deadline ?? new Date(Date.now() + DELETE_DEADLINE_MS)),
  };
  const what = `submitting a delete on endpoint ${options.endpoint}`;
  return submitted(
    await api.call<SubmitResult>({ method: 'POST', path: 'delete', json: doc, action: what, ...signal }),
    id,
    what,
  );
}

/**
 * `Accepted` and `Duplicate` both name the task: a Duplicate is the answer to a submit
 * whose first answer was lost, and its task is the one that first submit created.
 */
function submitted(result: SubmitResult, id: string, what: string): Submitted {
  if (typeof result?.task_id !== 'string' || result.task_id === '') {
    throw new SregistryError(
      'INVALID_RESPONSE',
      `Transfer answered ${what} without a task_id (code ${String(result?.code)})`,
    );
  }
  return {
    taskId: result.task_id,
    submissionId: typeof result.submission_id === 'string' && result.submission_id ? result.submission_id : id,
  };
}

function syncLevel(name: SyncLevelName): 0 | 1 | 2 | 3 {
  const level = SYNC_LEVELS[name];
  if (level === undefined)
    throw new SregistryError(
      'INVALID_INPUT',
      `Unknown sync level "${String(name)}"; use exists, size, mtime or checksum`,
    );
  return level;
}

function checkedLabel(label: string): string {
  // Transfer refuses labels over 128 characters; cut rather than fail a whole push.
  return label.length > LABEL_MAX ? label.slice(0, LABEL_MAX) : label;
}

export function getTask(api: TransferApi, id: string, options: CallOptions = {}): Promise<TaskDocument> {
  return api.call<TaskDocument>({ path: taskPath(id), action: `getting task ${id}`, ...options });
}

/** Cancels a task; the answer's code is `Canceled`, or `TaskComplete` when it had already ended. */
export function cancelTask(api: TransferApi, id: string, options: CallOptions = {}): Promise<OperationResult> {
  return api.call<OperationResult>({
    method: 'POST',
    path: taskPath(id, '/cancel'),
    action: `canceling task ${id}`,
    ...options,
  });
}

/** A task's events, newest first. */
export function events(
  api: TransferApi,
  id: string,
  options: CallOptions & { pageSize?: number } = {},
): AsyncIterable<TaskEvent> {
  const pageSize = Math.min(1000, Math.max(1, Math.floor(options.pageSize ?? EVENT_PAGE)));
  return offsetPaged(
    async (offset, limit) => {
      const page = await api.call<EventList>({
        path: taskPath(id, '/event_list'),
        query: { limit, offset },
        action: `listing the events of task ${id}`,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const items = page.DATA ?? [];
      const total = typeof page.total === 'number' ? page.total : offset + items.length;
      return { items, more: offset + items.length < total };
    },
    { pageSize },
  );
}
