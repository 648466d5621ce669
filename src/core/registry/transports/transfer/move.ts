/**
 * How the transfer transport moves bytes: every put or get is ONE Transfer task to or from
 * the local Globus endpoint, checksum sync and verification on, that makes missing
 * folders; a removal is one delete task. The bytes are not read here: a pull hashes the
 * file the task brought.
 */
import { discardTemp } from '../../../storage.js';
import { tempTextFile } from '../../local/file-facts.js';
import type { Session } from '../../session.js';
import { emptyOnFailure, type TransportMoves, type TransportRun } from '../backend.js';
import { toEndpointPath } from '../endpoint-paths.js';
import { deleteAndWait, transferAndWait, type TaskRun } from '../tasks.js';

export const moves: TransportMoves = {
  async put(run, items) {
    const { session } = run;
    const local = localEndpoint(session);
    const temps: string[] = [];
    try {
      const moves = [];
      for (const item of items) {
        let file = item.file;
        if (file === undefined) {
          file = await tempTextFile(session.options.storage, item.text ?? '');
          temps.push(file);
        }
        moves.push({
          source: endpointPath(session, file),
          destination: item.to,
          ...(item.sha256 !== undefined ? { sha256: item.sha256 } : {}),
        });
      }
      const taskId = await transferAndWait(taskRun(run), local, run.ep.id, moves, run.label);
      return { taskId, files: items.map(() => ({ attempts: 1 })) };
    } finally {
      for (const t of temps) await discardTemp(t).catch(() => undefined);
    }
  },

  get: (run, items) =>
    emptyOnFailure(items, async () => {
      const { session } = run;
      const moves = items.map((item) => ({
        source: item.from,
        destination: endpointPath(session, item.to),
        ...(item.sha256 !== undefined ? { sha256: item.sha256 } : {}),
      }));
      const taskId = await transferAndWait(taskRun(run), run.ep.id, localEndpoint(session), moves, run.label);
      return { taskId, files: items.map(() => ({})) };
    }),

  async remove(run, paths) {
    await deleteAndWait(taskRun(run), run.ep.id, [...paths], run.label);
  },
};

/** The local Globus endpoint the tasks run to and from: set, as the transfer transport is chosen only where it reaches (`unreachable`). */
const localEndpoint = (session: Session): string => session.options.localEndpoint ?? '';

const endpointPath = (session: Session, file: string): string => toEndpointPath(file, session.options.localPathMap);

const taskRun = (run: TransportRun): TaskRun => ({
  session: run.session,
  ...(run.signal ? { signal: run.signal } : {}),
  image: run.image,
  ...(run.total !== undefined ? { total: run.total } : {}),
});
