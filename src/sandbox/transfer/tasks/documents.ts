import { clientIdentity } from '../../model.js';
import type { SandboxTask, TaskEvent } from './model.js';

/** Renders tasks and their events in the Transfer API's shapes (see globus-fixtures). */

/** `2021-01-15T18:13:10+00:00`, as the task documents write their times. */
export const taskTime = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, '+00:00');

export function effectiveBytesPerSecond(task: SandboxTask, now = new Date()): number {
  if (!task.startTime) return 0;
  const end = task.completionTime ?? now;
  const seconds = Math.max((end.getTime() - task.startTime.getTime()) / 1000, 0.001);
  return Math.floor(task.counters.bytesTransferred / seconds);
}

export function taskDocument(task: SandboxTask): Record<string, unknown> {
  const c = task.counters;
  const o = task.options;
  const finished = task.status === 'SUCCEEDED' || task.status === 'FAILED';
  const dst = task.destination;
  return {
    DATA_TYPE: 'task',
    bytes_checksummed: c.bytesChecksummed,
    bytes_transferred: c.bytesTransferred,
    canceled_by_admin: null,
    canceled_by_admin_message: null,
    command: 'API 0.10',
    completion_time: task.completionTime ? taskTime(task.completionTime) : null,
    deadline: taskTime(o.deadline),
    delete_destination_extra: o.deleteDestinationExtra,
    destination_endpoint: dst ? dst.displayName : null,
    destination_endpoint_display_name: dst ? dst.displayName : null,
    destination_endpoint_id: dst ? dst.id : null,
    directories: c.directories,
    effective_bytes_per_second: effectiveBytesPerSecond(task),
    encrypt_data: o.encryptData,
    fail_on_quota_errors: o.failOnQuotaErrors,
    fatal_error: task.fatalError ? { ...task.fatalError } : null,
    faults: c.faults,
    files: c.files,
    files_skipped: c.filesSkipped,
    files_transferred: c.filesTransferred,
    filter_rules: null,
    history_deleted: false,
    is_ok: finished ? null : task.status === 'ACTIVE',
    is_paused: false,
    key: `${finished ? 'complete' : 'active'},${(task.completionTime ?? task.requestTime).toISOString().replace(/Z$/, '')}`,
    label: o.label,
    nice_status: finished ? null : task.niceStatus,
    nice_status_details: finished ? null : (task.niceStatusDetails ?? null),
    nice_status_expires_in: finished ? null : -1,
    nice_status_short_description: finished ? null : (task.niceStatusDescription ?? task.niceStatus),
    owner_id: task.ownerClientId,
    preserve_timestamp: o.preserveTimestamp,
    recursive_symlinks: task.type === 'TRANSFER' ? 'ignore' : null,
    request_time: taskTime(task.requestTime),
    skip_source_errors: o.skipSourceErrors,
    source_endpoint: task.source.displayName,
    source_endpoint_display_name: task.source.displayName,
    source_endpoint_id: task.source.id,
    status: task.status,
    subtasks_canceled: c.subtasksCanceled,
    subtasks_expired: c.subtasksExpired,
    subtasks_failed: c.subtasksFailed,
    subtasks_pending: c.subtasksPending,
    subtasks_retrying: c.subtasksRetrying,
    subtasks_skipped_errors: c.subtasksSkippedErrors,
    subtasks_succeeded: c.subtasksSucceeded,
    subtasks_total: c.subtasksTotal,
    symlinks: c.symlinks,
    sync_level: o.syncLevel,
    task_id: task.id,
    type: task.type,
    username: clientIdentity(task.ownerClientId),
    verify_checksum: o.verifyChecksum,
  };
}

export const eventDocument = (event: TaskEvent): Record<string, unknown> => ({
  DATA_TYPE: 'event',
  code: event.code,
  description: event.description,
  details: event.details,
  is_error: event.isError,
  time: taskTime(event.time),
});

/** The answer to a submission; `resource` is `/transfer` or `/delete`. */
export function submitResult(task: SandboxTask, requestId: string): Record<string, unknown> {
  const what = task.type === 'TRANSFER' ? 'transfer' : 'delete';
  return {
    DATA_TYPE: `${what}_result`,
    code: 'Accepted',
    message: `The ${what} has been accepted and a task has been created and queued for execution`,
    request_id: requestId,
    resource: `/${what}`,
    submission_id: task.submissionId,
    task_id: task.id,
    task_link: {
      DATA_TYPE: 'link',
      href: `task/${task.id}?format=json`,
      rel: 'related',
      resource: 'task',
      title: 'related task',
    },
  };
}
