import { lstat, readdir, rm, unlink } from 'node:fs/promises';
import { resolve as resolveDisk } from 'node:path';
import type { SandboxEndpoint } from '../../model.js';
import { resolveEndpointPath } from '../../paths.js';
import { TaskFailure, onPath } from './failures.js';
import type { SandboxTask } from './model.js';

/** Runs a DELETE task: files, links (never their targets) and, with `recursive`, folders. */
export async function runDelete(task: SandboxTask, signal: AbortSignal): Promise<void> {
  const endpoint = task.source;
  const name = endpoint.displayName;
  const c = task.counters;
  c.subtasksTotal = task.deleteItems.length;
  c.subtasksPending = task.deleteItems.length;
  for (const item of task.deleteItems) {
    signal.throwIfAborted();
    const target = await onPath(item.path, name, signal, () =>
      resolveEndpointPath(endpoint, item.path, task.ownerClientId, 'write'),
    );
    if (isEndpointRoot(endpoint, target.diskPath)) {
      throw new TaskFailure(
        'PERMISSION_DENIED',
        `Endpoint: ${name}\nFile: ${target.endpointPath}\nMessage: the endpoint's root folder cannot be deleted`,
      );
    }
    await onPath(target.endpointPath, name, signal, async () => {
      const info = await lstat(target.diskPath).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' && task.options.ignoreMissing) return undefined;
        throw err;
      });
      if (!info) return;
      if (info.isDirectory()) {
        if (!task.options.recursive)
          throw new TaskFailure(
            'IS_A_DIRECTORY',
            `Endpoint: ${name}\nFile: ${target.endpointPath}\nMessage: deleting a folder needs recursive=true`,
          );
        await countTree(target.diskPath, task);
        await rm(target.diskPath, { recursive: true });
      } else {
        if (info.isSymbolicLink()) c.symlinks++;
        else c.files++;
        await unlink(target.diskPath);
      }
    });
    c.subtasksPending--;
    c.subtasksSucceeded++;
  }
}

function isEndpointRoot(endpoint: SandboxEndpoint, diskPath: string): boolean {
  const roots = endpoint.root ? [endpoint.root] : (endpoint.configPaths ?? []).map((p) => p.path);
  return roots.some((r) => resolveDisk(r) === resolveDisk(diskPath));
}

/** Counts what a recursive delete removes, without following links. */
async function countTree(dir: string, task: SandboxTask): Promise<void> {
  task.counters.directories++;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await countTree(`${dir}/${entry.name}`, task);
    else if (entry.isSymbolicLink()) task.counters.symlinks++;
    else task.counters.files++;
  }
}
