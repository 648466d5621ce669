import type { SandboxContext } from '../../context.js';
import type { SandboxTask } from './model.js';

/**
 * Finished tasks kept by default, newest first: far more than a test or a pipeline's
 * day looks back at, and a few MB at most for a sandbox left running for weeks.
 */
export const DEFAULT_TASK_HISTORY = 1000;

const finished = (t: SandboxTask): boolean => t.status === 'SUCCEEDED' || t.status === 'FAILED';

/**
 * The tasks of one running sandbox, in memory: a restart forgets them, as it forgets
 * tokens. Every unfinished task is kept; of the finished ones, the newest `historyLimit`
 * (by submission, applied as each task is submitted), so memory stays bounded however
 * long the sandbox runs.
 */
export class TaskStore {
  readonly #tasks = new Map<string, SandboxTask>();
  /** `<clientId> <submission_id>` → task id. */
  readonly #submissions = new Map<string, string>();

  constructor(readonly historyLimit: number = DEFAULT_TASK_HISTORY) {
    if (!Number.isInteger(historyLimit) || historyLimit < 1)
      throw new RangeError('historyLimit must be a positive integer');
  }

  add(task: SandboxTask): void {
    this.#tasks.set(task.id, task);
    this.#submissions.set(submissionKey(task.ownerClientId, task.submissionId), task.id);
    this.#forgetOldest();
  }

  /** Drops the oldest finished tasks beyond the limit (a Map iterates in insertion order). */
  #forgetOldest(): void {
    let over = -this.historyLimit;
    for (const t of this.#tasks.values()) if (finished(t)) over++;
    if (over <= 0) return;
    for (const t of this.#tasks.values()) {
      if (over === 0) break;
      if (!finished(t)) continue;
      this.#tasks.delete(t.id);
      const key = submissionKey(t.ownerClientId, t.submissionId);
      if (this.#submissions.get(key) === t.id) this.#submissions.delete(key);
      over--;
    }
  }

  /** A task the client owns; another client's task is as good as missing. */
  get(clientId: string, taskId: string): SandboxTask | undefined {
    const task = this.#tasks.get(taskId);
    return task && task.ownerClientId === clientId ? task : undefined;
  }

  /** Any task by id, whoever owns it (fault release, admin). */
  byId(taskId: string): SandboxTask | undefined {
    return this.#tasks.get(taskId);
  }

  bySubmission(clientId: string, submissionId: string): SandboxTask | undefined {
    const id = this.#submissions.get(submissionKey(clientId, submissionId));
    return id ? this.#tasks.get(id) : undefined;
  }

  /** The client's tasks, oldest first. */
  ofClient(clientId: string): SandboxTask[] {
    return [...this.#tasks.values()].filter((t) => t.ownerClientId === clientId);
  }

  all(): SandboxTask[] {
    return [...this.#tasks.values()];
  }
}

const submissionKey = (clientId: string, submissionId: string): string => `${clientId} ${submissionId}`;

const stores = new WeakMap<SandboxContext, TaskStore>();

/** The task store of a running sandbox. */
export function taskStore(ctx: SandboxContext): TaskStore {
  let store = stores.get(ctx);
  if (!store) {
    store = new TaskStore(ctx.taskHistoryLimit);
    stores.set(ctx, store);
  }
  return store;
}
