/** A watch state kept in a local JSON file, replaced atomically (temp file, then rename) on every save. */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { SregistryError } from '../../errors.js';
import { createTempFile, discardTemp, publishTemp } from '../../storage.js';
import { restoreWatchState, type WatchState } from './watch.js';

/** The state saved in `file` for `target`, or undefined when there is no such file yet. */
export async function loadWatchState(file: string, target: string): Promise<WatchState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SregistryError('LOCAL_IO', `Reading the watch state ${file} failed: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new SregistryError('INVALID_INPUT', `The watch state ${file} is not JSON: remove it to start afresh`);
  }
  return restoreWatchState(data, target);
}

/** Writes the state so that a reader (or a crash) sees the old file or the new one, never half of one. */
export async function saveWatchState(file: string, state: WatchState): Promise<void> {
  const final = resolve(file);
  const temp = await createTempFile(dirname(final));
  try {
    await writeFile(temp, `${JSON.stringify(state)}\n`);
    await publishTemp(temp, final);
  } catch (err) {
    await discardTemp(temp).catch(() => undefined);
    if (err instanceof SregistryError) throw err;
    throw new SregistryError('LOCAL_IO', `Writing the watch state ${file} failed: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
