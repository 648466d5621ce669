/**
 * How the https transport moves bytes: one PUT, GET or DELETE per file on the collection's
 * HTTPS server, each reading the bytes (and hashing them as they go), so a push need not
 * hash its file first and a pull checks signatures in the same pass.
 */
import { Readable } from 'node:stream';
import { isSregistryError } from '../../../errors.js';
import { httpsTarget } from '../../endpoint.js';
import {
  emptyOnFailure,
  type GetItem,
  type GetResult,
  type PutResult,
  type TransportMoves,
  type TransportRun,
} from '../backend.js';

export const moves: TransportMoves = {
  async put(run, items) {
    const out: PutResult = { files: [] };
    for (const item of items) {
      const source = item.file !== undefined ? { file: item.file } : text(item.text ?? '');
      const up = await run.session.https.upload(httpsTarget(run.ep), item.to, source, {
        ...signalOf(run),
        ...progressOf(run, 'upload'),
      });
      out.files.push({ attempts: up.attempts, size: up.size, sha256: up.sha256 });
    }
    return out;
  },

  get: (run, items) => emptyOnFailure(items, () => getEach(run, items)),

  async remove(run, paths) {
    for (const p of paths) {
      await run.session.https.remove(httpsTarget(run.ep), p, signalOf(run)).catch((err: unknown) => {
        if (!(isSregistryError(err) && err.code === 'NOT_FOUND')) throw err;
      });
    }
  },
};

async function getEach(run: TransportRun, items: readonly GetItem[]): Promise<GetResult> {
  const out: GetResult = { files: [] };
  for (const item of items) {
    const got = await run.session.https.download(httpsTarget(run.ep), item.from, item.to, {
      ...(item.expectedSize !== undefined
        ? { expectedSize: item.expectedSize }
        : item.maxBytes !== undefined
          ? { maxBytes: item.maxBytes }
          : {}),
      ...signalOf(run),
      ...progressOf(run, 'download'),
      ...(item.onChunk ? { onChunk: item.onChunk } : {}),
      ...(item.onStage ? { onStage: item.onStage } : {}),
    });
    out.files.push({ sha256: got.sha256 });
  }
  return out;
}

const text = (value: string) => {
  const bytes = Buffer.from(value, 'utf8');
  return { stream: () => Readable.from([bytes]), size: bytes.length };
};

const signalOf = (run: TransportRun): { signal?: AbortSignal } => (run.signal ? { signal: run.signal } : {});

function progressOf(
  run: TransportRun,
  phase: 'upload' | 'download',
): { onProgress?: (bytes: number, total?: number) => void } {
  if (!run.progress) return {};
  return {
    onProgress: (bytes, total) =>
      run.session.progress({ phase, image: run.image, bytes, ...(total !== undefined ? { total } : {}) }),
  };
}
