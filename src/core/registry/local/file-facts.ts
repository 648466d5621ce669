/** Local file facts the operations need: size, SHA-256 in one read, small temp files. */
import { stat, writeFile } from 'node:fs/promises';
import { SregistryError, isSregistryError } from '../../errors.js';
import { hashFileOnce } from '../../hash.js';
import { createTempFile, discardTemp } from '../../storage.js';

export async function localFileSize(file: string): Promise<number> {
  try {
    const info = await stat(file);
    if (!info.isFile())
      throw new SregistryError('INVALID_INPUT', `${file} is not a regular file: give the path of an image file`);
    return info.size;
  } catch (err) {
    if (isSregistryError(err)) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new SregistryError('NOT_FOUND', `No file at ${file}: check the path`, { cause: err });
    throw new SregistryError('LOCAL_IO', `Cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}

/** Reads the file once and returns its SHA-256 and size; `onBytes` sees the running count. */
export async function hashFile(
  file: string,
  onBytes?: (bytes: number) => void,
  signal?: AbortSignal,
  onChunk?: (chunk: Uint8Array, offset: number) => void,
): Promise<{ sha256: string; size: number }> {
  let last = 0;
  // What the chunk observer threw ends the pass as it is.
  let observerError: unknown;
  const observe =
    onChunk &&
    ((chunk: Uint8Array, offset: number): void => {
      try {
        onChunk(chunk, offset);
      } catch (err) {
        observerError = err;
        throw err;
      }
    });
  try {
    const result = await hashFileOnce(
      file,
      onBytes &&
        ((bytes) => {
          if (bytes - last < 1 << 20) return;
          last = bytes;
          onBytes(bytes);
        }),
      signal,
      observe,
    );
    onBytes?.(result.size);
    return result;
  } catch (err) {
    if (observerError !== undefined) throw observerError;
    if (signal?.aborted)
      throw new SregistryError('ABORTED', `Hashing ${file} was aborted by the caller`, { cause: err });
    throw new SregistryError(
      'LOCAL_IO',
      `Reading ${file} failed: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}

/** A hidden temp file in `dir` holding `text`; the caller removes it. */
export async function tempTextFile(dir: string, text: string): Promise<string> {
  const path = await createTempFile(dir);
  try {
    await writeFile(path, text);
  } catch (err) {
    await discardTemp(path).catch(() => undefined);
    throw new SregistryError(
      'LOCAL_IO',
      `Writing ${path} failed: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  return path;
}
