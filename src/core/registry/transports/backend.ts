/**
 * What a transport is: one way of moving bytes and small files between this machine and a
 * collection. The operations ask a backend to put files on the collection, bring files
 * from it and remove paths; revealing a hidden file (a rename) and listing are Transfer
 * API calls every transport shares. Each backend says when it can reach a collection, so
 * the `auto` choice and the refusals of an explicit one come from the backends
 * themselves (DESIGN.md "Transports"). The registered backends are in `index.ts`.
 */
import { truncate } from 'node:fs/promises';
import { SregistryError } from '../../errors.js';
import type { EndpointInfo } from '../endpoint.js';
import type { Session } from '../session.js';
import type { StageObserver } from '../../collection/index.js';
import type { ChunkObserver, Transport } from '../types.js';

/** What a backend looks at to tell whether it can reach a collection. */
export interface Reach {
  /** The collection's `https_server`, null when it has none. */
  httpsServer: string | null | undefined;
  /** The local Globus endpoint configured, if any. */
  localEndpoint: string | undefined;
  /** The collection as messages show it: `name (id)`. */
  shown: string;
}

/** One call of a backend: where, for what, and under which signal. */
export interface TransportRun {
  session: Session;
  ep: EndpointInfo;
  signal?: AbortSignal | undefined;
  /** `collection/name:tag` (or a path) that progress events and steps name. */
  image: string;
  /** What the Transfer task is labelled, for a backend that runs tasks. */
  label: string;
  /** Total bytes expected, for progress. */
  total?: number | undefined;
  /** Report the bytes as they move (phase `upload`/`download`); a backend running tasks always reports them. */
  progress?: boolean;
}

/** A file to write on the collection at `to`: a local file, or a small text. */
export interface PutItem {
  to: string;
  file?: string;
  text?: string;
  /** The file's SHA-256 when known, for a backend that verifies by it. */
  sha256?: string;
}

export interface PutResult {
  /** The Transfer task that carried the files, when there was one. */
  taskId?: string;
  /**
   * Per item, in order: how many attempts its upload took (a cut attempt may still land
   * at its name later), and, when the backend saw the bytes go, their count and SHA-256.
   */
  files: Array<{ attempts: number; size?: number; sha256?: string }>;
}

/**
 * A collection file to bring to the local path `to`: the caller's temp file, which it
 * removes. A failed get leaves no bytes there (`emptyOnFailure`): what a cut move brought
 * is never read as the file.
 */
export interface GetItem {
  from: string;
  to: string;
  /** The SHA-256 it must have, for a backend that verifies by it. */
  sha256?: string;
  /** The size it has (more fails), else at most `maxBytes`, for a backend that reads the body. */
  expectedSize?: number;
  maxBytes?: number;
  /** Sees every byte in file order as it arrives, for a backend that reads the body. */
  onChunk?: ChunkObserver;
  /** Sees the file in the buffers it is written and hashed from, for a backend that reads the body (a second hash reads them in place). */
  onStage?: StageObserver;
}

export interface GetResult {
  taskId?: string;
  /** Per item: the SHA-256 of what arrived, when the backend read the bytes (and showed them to `onChunk`). */
  files: Array<{ sha256?: string }>;
}

/**
 * What a transport says about itself: enough for the choices, help texts, `auto` and the
 * refusals, and nothing that loads an HTTP client, SQLite or the Transfer API, so the list
 * of them (`index.ts`) stays light for `src/rules.ts` and the build's editor grammar.
 */
export interface TransportDescriptor {
  readonly name: Transport;
  /** A few words for help texts and selects: what moves the bytes. */
  readonly help: string;
  /** Why `auto` would pick it, for doctor. */
  readonly autoReason: string;
  /** `auto` takes the reachable backend ranked highest. */
  readonly autoRank: number;
  /** Why it cannot reach the collection, as the message to show; undefined when it can. */
  unreachable(reach: Reach): string | undefined;
  /** What makes it usable where it is not, as an instruction ("set …"), for the messages that list the ways out. */
  readonly remedy: string;
  /**
   * Files travel together, as one unit of work (a Transfer task): a push sends its image and
   * manifests at once, so it knows the version first; the unit makes missing folders.
   * Otherwise files go one by one, each put and get reading the bytes: a put answers their
   * count and SHA-256, a get their SHA-256, having shown them to `onChunk`.
   */
  readonly batches: boolean;
  /** A cut upload may land at its name after it was removed: a push looks again a little later. */
  readonly lateArrivals: boolean;
}

/** How a transport moves the bytes: the module a descriptor loads on first use. */
export interface TransportMoves {
  put(run: TransportRun, items: readonly PutItem[]): Promise<PutResult>;
  get(run: TransportRun, items: readonly GetItem[]): Promise<GetResult>;
  /** Removes paths on the collection; missing ones are fine. */
  remove(run: TransportRun, paths: readonly string[]): Promise<void>;
}

export interface TransportBackend extends TransportDescriptor, TransportMoves {}

/** Runs a get and, when it fails, empties its destinations (a cut body or a failed task may have left part of a file there). */
export async function emptyOnFailure<T>(items: readonly GetItem[], get: () => Promise<T>): Promise<T> {
  try {
    return await get();
  } catch (err) {
    for (const item of items) await truncate(item.to, 0).catch(() => undefined);
    throw err;
  }
}

/**
 * A backend from its descriptor and the import of its moves: the module is loaded on the
 * first put, get or remove, so naming a transport loads nothing heavy.
 */
export function lazyBackend(
  descriptor: TransportDescriptor,
  load: () => Promise<{ moves: TransportMoves }>,
): TransportBackend {
  let loading: Promise<TransportMoves> | undefined;
  const moves = (): Promise<TransportMoves> =>
    (loading ??= load().then(
      (m) => m.moves,
      (err: unknown) => {
        loading = undefined;
        throw err;
      },
    ));
  return {
    ...descriptor,
    put: async (run, items) => (await moves()).put(run, items),
    get: async (run, items) => (await moves()).get(run, items),
    remove: async (run, paths) => (await moves()).remove(run, paths),
  };
}

/**
 * A backend that does not batch answered a put or get without what it read (`batches`):
 * a fault of this program, not of the file or the network, said as one.
 */
export function unansweredBytes(backend: TransportDescriptor, move: 'put' | 'get', image: string): SregistryError {
  return new SregistryError(
    'INVALID_RESPONSE',
    `The ${backend.name} transport's ${move} of ${image} did not say what bytes it ${move === 'put' ? 'sent' : 'brought'}, as a transport that does not batch must; this is a fault of sregistry-globus: report it`,
  );
}
