import { lstat, mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, posix } from 'node:path';
import type { Stats } from 'node:fs';
import type { SandboxContext } from '../../context.js';
import type { SandboxEndpoint } from '../../model.js';
import { resolveEndpointPath } from '../../paths.js';
import { copyFile, digestFile, hashFile } from './copy.js';
import { TaskFailure, onPath } from './failures.js';
import {
  CHECKSUM_ALGORITHMS,
  type ChecksumAlgorithm,
  type SandboxTask,
  type SyncLevel,
  type TransferItem,
} from './model.js';

/** Runs a TRANSFER task: plans every file and folder first, then copies them one by one. */

type Step =
  | { kind: 'dir'; destinationPath: string }
  | {
      kind: 'file';
      sourcePath: string;
      sourceDisk: string;
      destinationPath: string;
      expected?: { checksum: string; algorithm: ChecksumAlgorithm };
    };

const PARTIAL = /^\.sbx-[0-9a-f-]{36}\.partial$/;

export async function runTransfer(ctx: SandboxContext, task: SandboxTask, signal: AbortSignal): Promise<void> {
  const destination = task.destination!;
  const steps: Step[] = [];
  for (const item of task.transferItems) {
    await plan(task, item, steps, signal).catch((err: unknown) => {
      // A source that is not there will not appear by retrying: Globus fails the task.
      if (err instanceof TaskFailure && err.code === 'FILE_NOT_FOUND')
        throw new TaskFailure(err.code, err.details, true);
      throw err;
    });
  }

  const files = steps.filter((s) => s.kind === 'file').length;
  const c = task.counters;
  c.files = files;
  c.subtasksTotal = files;
  c.subtasksPending = files;

  for (const step of steps) {
    signal.throwIfAborted();
    const target = await onPath(step.destinationPath, destination.displayName, signal, () =>
      resolveEndpointPath(destination, step.destinationPath, task.ownerClientId, 'write'),
    );
    if (step.kind === 'dir') {
      await onPath(target.endpointPath, destination.displayName, signal, () =>
        mkdir(target.diskPath, { recursive: true }),
      );
      continue;
    }
    await onPath(target.endpointPath, destination.displayName, signal, async () => {
      await mkdir(dirname(target.diskPath), { recursive: true });
      const sourceStat = await stat(step.sourceDisk);
      if (
        task.options.syncLevel !== null &&
        (await upToDate(task, task.options.syncLevel, step.sourceDisk, sourceStat, target.diskPath, signal))
      ) {
        // Nothing is copied, but the source must still be what was announced.
        if (step.expected) await checkExternal(step.sourceDisk, step.sourcePath, step.expected, task, signal);
        c.filesSkipped++;
      } else {
        const { expected } = step;
        await copyFile(step.sourceDisk, target.diskPath, {
          rate: ctx.world.transferRate,
          verifyChecksum: task.options.verifyChecksum,
          preserveTimestamp: task.options.preserveTimestamp,
          signal,
          onBytes: (n) => (c.bytesTransferred += n),
          onChecksummed: (n) => (c.bytesChecksummed += n),
          // The bytes copied are the ones checked: a source changed after a separate read would pass.
          ...(expected
            ? {
                expected: {
                  algorithm: CHECKSUM_ALGORITHMS[expected.algorithm],
                  checksum: expected.checksum,
                  mismatch: (actual: string) => externalMismatch(task, step.sourcePath, expected, actual),
                },
              }
            : {}),
        });
        c.filesTransferred++;
        task.successful.push({ sourcePath: step.sourcePath, destinationPath: target.endpointPath });
      }
    });
    c.subtasksPending--;
    c.subtasksSucceeded++;
  }
}

/** Adds the steps of one item; a missing source or a folder without `recursive` fails the task. */
async function plan(task: SandboxTask, item: TransferItem, steps: Step[], signal: AbortSignal): Promise<void> {
  const { sourcePath, destinationPath, recursive } = item;
  const source = task.source;
  const name = source.displayName;
  const resolved = await onPath(sourcePath, name, signal, () =>
    resolveEndpointPath(source, sourcePath, task.ownerClientId, 'read'),
  );
  const info = await onPath(resolved.endpointPath, name, signal, () => stat(resolved.diskPath));
  if (info.isDirectory()) {
    if (!recursive)
      throw new TaskFailure(
        'IS_A_DIRECTORY',
        `Endpoint: ${name}\nFile: ${resolved.endpointPath}\nMessage: a folder needs recursive=true`,
      );
    await walk(task, source, resolved.endpointPath, resolved.diskPath, destinationPath, steps, signal);
    return;
  }
  if (recursive)
    throw new TaskFailure(
      'NOT_A_DIRECTORY',
      `Endpoint: ${name}\nFile: ${resolved.endpointPath}\nMessage: recursive=true needs a folder`,
    );
  if (!info.isFile())
    throw new TaskFailure(
      'ENDPOINT_ERROR',
      `Endpoint: ${name}\nFile: ${resolved.endpointPath}\nMessage: not a regular file`,
    );
  const expected =
    item.externalChecksum && item.checksumAlgorithm
      ? { checksum: item.externalChecksum, algorithm: item.checksumAlgorithm }
      : undefined;
  steps.push({
    kind: 'file',
    sourcePath: resolved.endpointPath,
    sourceDisk: resolved.diskPath,
    destinationPath,
    ...(expected ? { expected } : {}),
  });
}

/**
 * The source must have the checksum the submitter gave: otherwise the task fails with
 * EXTERNAL_CHECKSUM_MISMATCH (one of Transfer's event codes) and nothing is left at the
 * destination, so a source that changed since it was announced never ends SUCCEEDED. A
 * copied file is checked on the bytes copied (copy.ts); this separate read is for a file
 * sync_level skips.
 */
async function checkExternal(
  sourceDisk: string,
  sourcePath: string,
  expected: { checksum: string; algorithm: ChecksumAlgorithm },
  task: SandboxTask,
  signal: AbortSignal,
): Promise<void> {
  const actual = await digestFile(sourceDisk, CHECKSUM_ALGORITHMS[expected.algorithm], signal);
  task.counters.bytesChecksummed += (await stat(sourceDisk)).size;
  if (actual !== expected.checksum) throw externalMismatch(task, sourcePath, expected, actual);
}

const externalMismatch = (
  task: SandboxTask,
  sourcePath: string,
  expected: { checksum: string; algorithm: ChecksumAlgorithm },
  actual: string,
): TaskFailure =>
  new TaskFailure(
    'EXTERNAL_CHECKSUM_MISMATCH',
    `Endpoint: ${task.source.displayName}\nFile: ${sourcePath}\nMessage: the ${expected.algorithm} checksum of the bytes copied is ${actual}, not the external_checksum ${expected.checksum}`,
  );

/**
 * Folders first, then their files, in name order. Links are followed only to files that
 * stay inside the endpoint (resolveEndpointPath refuses the others); linked folders are
 * skipped, so a loop of links cannot make the walk endless.
 */
async function walk(
  task: SandboxTask,
  source: SandboxEndpoint,
  endpointPath: string,
  diskPath: string,
  destinationPath: string,
  steps: Step[],
  signal: AbortSignal,
): Promise<void> {
  signal.throwIfAborted();
  task.counters.directories++;
  steps.push({ kind: 'dir', destinationPath });
  const entries = await onPath(endpointPath, source.displayName, signal, () =>
    readdir(diskPath, { withFileTypes: true }),
  );
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (PARTIAL.test(entry.name)) continue;
    const childPath = posix.join(endpointPath, entry.name);
    const childDisk = `${diskPath}/${entry.name}`;
    const childDestination = posix.join(destinationPath, entry.name);
    if (entry.isDirectory()) {
      await walk(task, source, childPath, childDisk, childDestination, steps, signal);
    } else if (entry.isFile()) {
      steps.push({ kind: 'file', sourcePath: childPath, sourceDisk: childDisk, destinationPath: childDestination });
    } else if (entry.isSymbolicLink()) {
      task.counters.symlinks++;
      const linked = await resolveEndpointPath(source, childPath, task.ownerClientId, 'read').catch(() => undefined);
      const info = linked && (await stat(linked.diskPath).catch(() => undefined));
      if (linked && info?.isFile())
        steps.push({
          kind: 'file',
          sourcePath: childPath,
          sourceDisk: linked.diskPath,
          destinationPath: childDestination,
        });
    }
  }
}

/** Whether sync_level lets the task skip this file. */
async function upToDate(
  task: SandboxTask,
  level: SyncLevel,
  sourceDisk: string,
  source: Stats,
  destinationDisk: string,
  signal: AbortSignal,
): Promise<boolean> {
  const existing = await lstat(destinationDisk).catch(() => undefined);
  if (!existing?.isFile()) return false;
  if (level === 0) return true;
  if (existing.size !== source.size) return false;
  if (level === 1) return true;
  if (level === 2) return Math.floor(existing.mtimeMs / 1000) >= Math.floor(source.mtimeMs / 1000);
  const [a, b] = await Promise.all([hashFile(sourceDisk, signal), hashFile(destinationDisk, signal)]);
  task.counters.bytesChecksummed += source.size + existing.size;
  return a === b;
}
