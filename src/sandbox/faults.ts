/**
 * Fault injection and the request log. Tests (through the admin API or in process) add
 * rules; the dispatcher and the handlers consult them.
 */
import { randomUUID } from 'node:crypto';
import type { TokenStore } from './auth/tokens.js';

export type FaultAction =
  /** Answer with this status (and Transfer error `code`, `Retry-After` seconds, or a raw non-JSON body). */
  | {
      kind: 'status';
      status: number;
      code?: string;
      message?: string;
      retryAfter?: number;
      rawBody?: string;
      extra?: Record<string, unknown>;
    }
  /** Destroy the connection: before answering, or after `afterBytes` bytes of the request or response body. */
  | { kind: 'reset'; afterBytes?: number }
  /** Wait before handling. */
  | { kind: 'delay'; ms: number }
  /** Serve the response body with the byte at `offset` (default: the middle) flipped. */
  | { kind: 'corrupt'; offset?: number }
  /** The next matching task ends FAILED with this fatal_error code. */
  | { kind: 'task-fail'; code: string; description?: string }
  /** The next matching task stays INACTIVE with this nice_status until released or cancelled. */
  | { kind: 'task-inactive'; niceStatus?: string };

export type TaskFaultAction = Extract<FaultAction, { kind: 'task-fail' | 'task-inactive' }>;

export interface FaultMatch {
  /** HTTP method, upper case. */
  method?: string;
  /** Regular expression source tested against the request path (without query). */
  path?: string;
  /** `main` (Auth + Transfer), or a collection id for its HTTPS server. */
  origin?: string;
  /** For task faults: TRANSFER or DELETE. */
  taskType?: 'TRANSFER' | 'DELETE';
}

export interface FaultRule {
  id: string;
  match: FaultMatch;
  action: FaultAction;
  /** How many more matching requests it applies to. */
  times: number;
}

/** What `FaultBook.add` takes: a rule without its id; `times` defaults to 1. */
export interface NewFaultRule {
  match?: FaultMatch;
  action: FaultAction;
  times?: number;
}

export interface LoggedRequest {
  time: string;
  origin: string;
  method: string;
  path: string;
  query: string;
  status: number;
  clientId?: string | undefined;
  requestId: string;
  fault?: FaultAction['kind'];
  /** The JSON body of a task submission (POST transfer or delete), so the options a client sent can be read back. */
  body?: Record<string, unknown> | undefined;
}

/** A log entry with its position in the log since the sandbox started. */
export interface IndexedRequest extends LoggedRequest {
  index: number;
}

const TASK_KINDS = new Set<FaultAction['kind']>(['task-fail', 'task-inactive']);

export const isTaskFault = (action: FaultAction): action is TaskFaultAction => TASK_KINDS.has(action.kind);

/** Paths of the main origin that faults never touch, so a broad rule cannot lock tests out of the admin API. */
export const ADMIN_PREFIX = '/_sandbox/';

/**
 * Request log entries kept by default: enough for any test run or an afternoon of
 * polling, small (a few MB) for a sandbox left running for days. Older entries are
 * dropped; indices keep counting.
 */
export const DEFAULT_REQUEST_LOG_LIMIT = 10_000;

export class FaultBook {
  readonly rules: FaultRule[] = [];
  readonly log: LoggedRequest[] = [];
  /** How many entries `clearLog` or the log limit dropped, so indices stay stable. */
  #dropped = 0;
  readonly #releases = new Map<string, Set<() => void>>();

  constructor(readonly requestLogLimit: number = DEFAULT_REQUEST_LOG_LIMIT) {
    if (!Number.isInteger(requestLogLimit) || requestLogLimit < 1)
      throw new RangeError('requestLogLimit must be a positive integer');
  }

  /** Adds a log entry, dropping the oldest once the log is full. */
  record(entry: LoggedRequest): void {
    this.log.push(entry);
    const over = this.log.length - this.requestLogLimit;
    if (over > 0) {
      this.log.splice(0, over);
      this.#dropped += over;
    }
  }

  /** Adds a rule; it applies to the next `times` matching requests (or tasks). */
  add(rule: NewFaultRule): FaultRule {
    const times = rule.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new RangeError('times must be a positive integer');
    const added: FaultRule = { id: randomUUID(), match: { ...(rule.match ?? {}) }, action: rule.action, times };
    this.rules.push(added);
    return added;
  }

  /** Removes one rule; false when there was none with that id. */
  remove(id: string): boolean {
    const at = this.rules.findIndex((r) => r.id === id);
    if (at < 0) return false;
    this.rules.splice(at, 1);
    return true;
  }

  /** Removes every rule. */
  clear(): void {
    this.rules.splice(0);
  }

  /** The request-level action for a request, consuming one use of the first matching rule. */
  take(origin: string, method: string, path: string): FaultAction | undefined {
    if (origin === 'main' && path.startsWith(ADMIN_PREFIX)) return undefined;
    const rule = this.rules.find((r) => {
      if (r.times <= 0 || r.match.taskType || isTaskFault(r.action)) return false;
      const m = r.match;
      if (m.origin && m.origin !== origin) return false;
      if (m.method && m.method !== method) return false;
      return !m.path || new RegExp(m.path).test(path);
    });
    return rule ? consume(rule) : undefined;
  }

  /** The task fault for a new task of this type (task-fail or task-inactive), consuming one use. */
  takeTask(taskType: 'TRANSFER' | 'DELETE'): TaskFaultAction | undefined {
    const rule = this.rules.find(
      (r) => r.times > 0 && isTaskFault(r.action) && (!r.match.taskType || r.match.taskType === taskType),
    );
    return rule ? (consume(rule) as TaskFaultAction) : undefined;
  }

  /**
   * Registers what to do when a held (INACTIVE) task is released. The task runner calls
   * this; the returned function unregisters (call it when the task ends another way).
   */
  onRelease(taskId: string, callback: () => void): () => void {
    let set = this.#releases.get(taskId);
    if (!set) this.#releases.set(taskId, (set = new Set()));
    set.add(callback);
    return () => {
      set.delete(callback);
      if (set.size === 0 && this.#releases.get(taskId) === set) this.#releases.delete(taskId);
    };
  }

  /** Releases a held task: runs (once) and forgets its callbacks; false when nothing waited. */
  release(taskId: string): boolean {
    const set = this.#releases.get(taskId);
    if (!set || set.size === 0) return false;
    this.#releases.delete(taskId);
    for (const callback of set) callback();
    return true;
  }

  /** Log entries from `since` (an index from an earlier answer) on. */
  requestsSince(since = 0): IndexedRequest[] {
    const start = Math.max(0, since - this.#dropped);
    return this.log.slice(start).map((entry, i) => ({ index: this.#dropped + start + i, ...entry }));
  }

  /** The index the next log entry will get. */
  get nextIndex(): number {
    return this.#dropped + this.log.length;
  }

  /** Forgets the log; indices keep counting. */
  clearLog(): void {
    this.#dropped += this.log.length;
    this.log.splice(0);
  }
}

function consume(rule: FaultRule): FaultAction {
  rule.times--;
  return rule.action;
}

/** Makes the issued tokens (of one client, when named) expire now; returns how many were active. */
export function expireTokens(tokens: TokenStore, clientId?: string): number {
  return tokens.expire(clientId);
}

/**
 * A rule from JSON (the admin API's body), checked field by field. Throws a TypeError
 * with a one-line message naming the bad field.
 */
export function parseFaultRule(value: unknown): NewFaultRule {
  const body = object(value, 'rule');
  const action = parseAction(object(body.action, 'action'));
  const rule: NewFaultRule = { action };
  if (body.match !== undefined) rule.match = parseMatch(object(body.match, 'match'));
  if (body.times !== undefined) {
    if (typeof body.times !== 'number' || !Number.isInteger(body.times) || body.times < 1)
      throw new TypeError('times must be a positive integer');
    rule.times = body.times;
  }
  return rule;
}

function parseMatch(m: Record<string, unknown>): FaultMatch {
  const match: FaultMatch = {};
  known(m, ['method', 'path', 'origin', 'taskType'], 'match');
  if (m.method !== undefined) match.method = str(m.method, 'match.method').toUpperCase();
  if (m.path !== undefined) {
    match.path = str(m.path, 'match.path');
    try {
      new RegExp(match.path);
    } catch {
      throw new TypeError(`match.path is not a valid regular expression: ${match.path}`);
    }
  }
  if (m.origin !== undefined) match.origin = str(m.origin, 'match.origin');
  if (m.taskType !== undefined) {
    if (m.taskType !== 'TRANSFER' && m.taskType !== 'DELETE')
      throw new TypeError('match.taskType must be TRANSFER or DELETE');
    match.taskType = m.taskType;
  }
  return match;
}

function parseAction(a: Record<string, unknown>): FaultAction {
  switch (a.kind) {
    case 'status': {
      known(a, ['kind', 'status', 'code', 'message', 'retryAfter', 'rawBody', 'extra'], 'action');
      if (typeof a.status !== 'number' || !Number.isInteger(a.status) || a.status < 100 || a.status > 599) {
        throw new TypeError('action.status must be an HTTP status (100-599)');
      }
      const action: FaultAction = { kind: 'status', status: a.status };
      if (a.code !== undefined) action.code = str(a.code, 'action.code');
      if (a.message !== undefined) action.message = str(a.message, 'action.message');
      if (a.retryAfter !== undefined) action.retryAfter = count(a.retryAfter, 'action.retryAfter');
      if (a.rawBody !== undefined) action.rawBody = str(a.rawBody, 'action.rawBody');
      if (a.extra !== undefined) action.extra = object(a.extra, 'action.extra');
      return action;
    }
    case 'reset':
      known(a, ['kind', 'afterBytes'], 'action');
      return a.afterBytes === undefined
        ? { kind: 'reset' }
        : { kind: 'reset', afterBytes: count(a.afterBytes, 'action.afterBytes') };
    case 'delay':
      known(a, ['kind', 'ms'], 'action');
      return { kind: 'delay', ms: count(a.ms, 'action.ms') };
    case 'corrupt':
      known(a, ['kind', 'offset'], 'action');
      return a.offset === undefined
        ? { kind: 'corrupt' }
        : { kind: 'corrupt', offset: count(a.offset, 'action.offset') };
    case 'task-fail': {
      known(a, ['kind', 'code', 'description'], 'action');
      const action: FaultAction = { kind: 'task-fail', code: str(a.code, 'action.code') };
      if (a.description !== undefined) action.description = str(a.description, 'action.description');
      return action;
    }
    case 'task-inactive':
      known(a, ['kind', 'niceStatus'], 'action');
      return a.niceStatus === undefined
        ? { kind: 'task-inactive' }
        : { kind: 'task-inactive', niceStatus: str(a.niceStatus, 'action.niceStatus') };
    default:
      throw new TypeError('action.kind must be one of status, reset, delay, corrupt, task-fail, task-inactive');
  }
}

function object(value: unknown, name: string): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`${name} must be a JSON object`);
  return value as Record<string, unknown>;
}

function str(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${name} must be a non-empty string`);
  return value;
}

function count(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    throw new TypeError(`${name} must be a non-negative integer`);
  return value;
}

function known(value: Record<string, unknown>, keys: string[], name: string): void {
  const extra = Object.keys(value).find((k) => !keys.includes(k));
  if (extra) throw new TypeError(`${name} has an unknown key "${extra}" (allowed: ${keys.join(', ')})`);
}
