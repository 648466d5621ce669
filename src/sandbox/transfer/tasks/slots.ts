/**
 * Globus runs at most 3 transfer and 3 delete tasks of a user at once; the others wait
 * ACTIVE with nice_status "Queued" (docs.globus.org/api/transfer/task, "Task limits").
 * One queue per client and task type, first come first served.
 */
import type { SandboxContext } from '../../context.js';
import type { SandboxTask } from './model.js';

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
export async function takeSlot(ctx: SandboxContext, task: SandboxTask, signal: AbortSignal): Promise<() => void> {
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
