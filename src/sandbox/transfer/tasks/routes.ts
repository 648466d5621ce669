import { randomUUID } from 'node:crypto';
import type { SandboxContext } from '../../context.js';
import { badRequest, notFound } from '../../errors.js';
import { readJson, sendJson, type Exchange, type Router } from '../../http.js';
import { TRANSFER_SCOPE, type SandboxEndpoint } from '../../model.js';
import { requireToken, type IssuedToken } from '../../auth/tokens.js';
import { requireDataAccess } from '../caller.js';
import { parseDelete, parseTransfer, submissionIdOf } from './submission.js';
import { eventDocument, submitResult, taskDocument } from './documents.js';
import { listTasks } from './list.js';
import { zeroCounters, type DeleteItem, type SandboxTask, type TaskOptions, type TransferItem } from './model.js';
import { startTask } from './runner.js';
import { taskStore } from './store.js';

/**
 * Transfer's task API: submission ids, transfer and delete submissions, task documents,
 * lists, events, successful transfers, cancel. A client sees only its own tasks; another
 * client's task id answers 404 as an unknown one does.
 */

/** Entries per successful_transfers page. */
export const SUCCESSFUL_PAGE = 100;
const MAX_LIMIT = 1000;
/** How long a cancel waits for the runner to stop before answering anyway. */
const CANCEL_WAIT_MS = 30_000;

export function taskRoutes(router: Router, ctx: SandboxContext): void {
  const store = taskStore(ctx);
  const callerToken = (ex: Exchange): IssuedToken => {
    const token = requireToken(ctx.tokens, ex.req, TRANSFER_SCOPE);
    ex.clientId = token.clientId;
    return token;
  };
  const caller = (ex: Exchange): string => callerToken(ex).clientId;
  const ownTask = (ex: Exchange): SandboxTask => {
    const clientId = caller(ex);
    const task = store.get(clientId, ex.params.id!);
    if (!task) throw notFound(`Task ${ex.params.id}`);
    return task;
  };

  router.on('GET', /^\/v0\.10\/submission_id$/, (ex) => {
    caller(ex);
    sendJson(ex.res, 200, { DATA_TYPE: 'submission_id', value: randomUUID() });
  });

  const submit = (kind: 'transfer' | 'delete') => async (ex: Exchange) => {
    const token = callerToken(ex);
    const clientId = token.clientId;
    const body = await readJson(ex.req);
    ex.loggedBody = body;
    const submissionId = submissionIdOf(body, kind);
    const earlier = store.bySubmission(clientId, submissionId);
    if (earlier) {
      sendJson(ex.res, 200, {
        ...earlier.submitResult,
        code: 'Duplicate',
        message: `A task with submission_id ${submissionId} was already submitted; this is its result`,
        request_id: ex.requestId,
      });
      return;
    }
    const now = new Date();
    let task: SandboxTask;
    if (kind === 'transfer') {
      const s = parseTransfer(ctx, clientId, body, now);
      requireDataAccess(token, s.source);
      requireDataAccess(token, s.destination);
      task = newTask('TRANSFER', clientId, s.submissionId, now, s.source, s.destination, s.items, [], s.options);
    } else {
      const s = parseDelete(ctx, clientId, body, now);
      requireDataAccess(token, s.endpoint);
      task = newTask('DELETE', clientId, s.submissionId, now, s.endpoint, null, [], s.items, s.options);
    }
    task.submitResult = submitResult(task, ex.requestId);
    store.add(task);
    startTask(ctx, task);
    sendJson(ex.res, 202, task.submitResult);
  };
  router.on('POST', /^\/v0\.10\/transfer$/, submit('transfer'));
  router.on('POST', /^\/v0\.10\/delete$/, submit('delete'));

  router.on('GET', /^\/v0\.10\/task_list$/, (ex) => {
    const clientId = caller(ex);
    const q = ex.url.searchParams;
    sendJson(
      ex.res,
      200,
      listTasks(store.ofClient(clientId), q.get('filter'), q.get('orderby'), limitOf(q, 10), offsetOf(q)),
    );
  });

  router.on('GET', /^\/v0\.10\/task\/(?<id>[^/]+)$/, (ex) => sendJson(ex.res, 200, taskDocument(ownTask(ex))));

  router.on('GET', /^\/v0\.10\/task\/(?<id>[^/]+)\/event_list$/, (ex) => {
    const task = ownTask(ex);
    const limit = limitOf(ex.url.searchParams, 10);
    const offset = offsetOf(ex.url.searchParams);
    const newestFirst = [...task.events].reverse();
    const page = newestFirst.slice(offset, offset + limit);
    sendJson(ex.res, 200, {
      DATA_TYPE: 'event_list',
      length: page.length,
      limit,
      offset,
      total: newestFirst.length,
      DATA: page.map(eventDocument),
    });
  });

  router.on('GET', /^\/v0\.10\/task\/(?<id>[^/]+)\/successful_transfers$/, (ex) => {
    const task = ownTask(ex);
    const raw = ex.url.searchParams.get('marker');
    if (raw !== null && raw !== '' && !/^\d+$/.test(raw))
      throw badRequest('marker must be a value of next_marker from an earlier page');
    const marker = raw ? Number(raw) : 0;
    const page = task.successful.slice(marker, marker + SUCCESSFUL_PAGE);
    const next = marker + SUCCESSFUL_PAGE;
    sendJson(ex.res, 200, {
      DATA_TYPE: 'successful_transfers',
      marker,
      next_marker: next < task.successful.length ? next : null,
      DATA: page.map((s) => ({
        DATA_TYPE: 'successful_transfer',
        source_path: s.sourcePath,
        destination_path: s.destinationPath,
      })),
    });
  });

  router.on('POST', /^\/v0\.10\/task\/(?<id>[^/]+)\/cancel$/, async (ex) => {
    const task = ownTask(ex);
    ex.req.resume();
    if (task.status === 'ACTIVE' || task.status === 'INACTIVE') {
      task.abort.abort('canceled');
      await waitBounded(task.done, CANCEL_WAIT_MS);
    }
    const canceled = task.fatalError?.code === 'CANCELED' && task.status === 'FAILED';
    sendJson(ex.res, 200, {
      DATA_TYPE: 'result',
      code: canceled ? 'Canceled' : 'TaskComplete',
      message: canceled
        ? 'The task has been cancelled successfully.'
        : 'The task completed before the cancel request was processed.',
      request_id: ex.requestId,
      resource: `/task/${task.id}/cancel`,
    });
  });
}

function newTask(
  type: SandboxTask['type'],
  ownerClientId: string,
  submissionId: string,
  requestTime: Date,
  source: SandboxEndpoint,
  destination: SandboxEndpoint | null,
  transferItems: TransferItem[],
  deleteItems: DeleteItem[],
  options: TaskOptions,
): SandboxTask {
  const items = transferItems.length + deleteItems.length;
  const counters = { ...zeroCounters(), subtasksTotal: items, subtasksPending: items };
  return {
    id: randomUUID(),
    type,
    ownerClientId,
    submissionId,
    requestTime,
    completionTime: null,
    status: 'ACTIVE',
    niceStatus: 'Queued',
    fatalError: null,
    source,
    destination,
    transferItems,
    deleteItems,
    options,
    counters,
    events: [],
    successful: [],
    submitResult: {},
    abort: new AbortController(),
    done: Promise.resolve(),
  };
}

function limitOf(q: URLSearchParams, fallback: number): number {
  const raw = q.get('limit');
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw badRequest('limit must be a positive integer');
  return Math.min(Number(raw), MAX_LIMIT);
}

function offsetOf(q: URLSearchParams): number {
  const raw = q.get('offset');
  if (raw === null || raw === '') return 0;
  if (!/^\d+$/.test(raw)) throw badRequest('offset must be a non-negative integer');
  return Number(raw);
}

async function waitBounded(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
