import type { SandboxContext } from '../context.js';
import type { SandboxTask } from './task-model.js';

/** The tasks of one running sandbox, in memory: a restart forgets them, as it forgets tokens. */
export class TaskStore {
  readonly #tasks = new Map<string, SandboxTask>();
  /** `<clientId> <submission_id>` → task id. */
  readonly #submissions = new Map<string, string>();

  add(task: SandboxTask): void {
    this.#tasks.set(task.id, task);
    this.#submissions.set(submissionKey(task.ownerClientId, task.submissionId), task.id);
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
    store = new TaskStore();
    stores.set(ctx, store);
  }
  return store;
}
