/**
 * One request through the shared undici dispatcher whose answer body is handed out as the
 * raw chunks undici's parser delivers, with backpressure of our own: a sink that returns a
 * promise pauses the connection until it settles. No Readable stream sits between the
 * socket and the disk, so a gigabyte costs no per-chunk stream bookkeeping; undici owns
 * the socket, the framing, the proxy and every socket event (errors end the exchange as a
 * rejection, never as an uncaught exception).
 *
 * Two guards run while the body comes: a byte limit (the first byte beyond it ends the
 * exchange before it is handed out) and a floor rate over a window (curl's
 * --speed-limit/--speed-time): a body that stalls or drips ends with a retryable code.
 * The floor applies to a streamed request body too, while it is being sent: a server that
 * stops reading an upload (or reads a byte now and then) ends it the same way.
 */
import { AsyncResource } from 'node:async_hooks';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { bodyDelivered, bodyEnded, type ConnectionState } from './read-buffers.js';

/** Error codes the exchange ends with (retry.ts decides which are retried). */
export const BODY_TOO_LONG = 'SREGISTRY_BODY_TOO_LONG';
export const BODY_TOO_SLOW = 'SREGISTRY_BODY_TOO_SLOW';

/** A body slower than `bytesPerSecond` over every `windowMs` ends with BODY_TOO_SLOW. */
export interface SpeedFloor {
  bytesPerSecond: number;
  windowMs: number;
  /** How the floor waits out its windows (default: the real timers); a test may compress time with its own. */
  clock?: FloorClock | undefined;
}

export interface FloorClock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const REAL_CLOCK: FloorClock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Defaults: 1 KiB/s over 20 s. A drip of one byte every 5 s fails an attempt after 20 s,
 * so six attempts and their backoff stay well under three minutes; a link this slow
 * would take a week for a 1 GiB image anyway.
 */
export const DEFAULT_SPEED_FLOOR: Readonly<SpeedFloor> = { bytesPerSecond: 1024, windowMs: 20_000 };

/**
 * A streamed request body goes to the connection in pieces of at most this size: undici
 * asks for the next piece once the last one was handed to the kernel, so the pieces taken
 * are what the floor measures an upload by (measured: 64 KiB pieces cost no more CPU than
 * 1 MiB chunks for a 1 GiB PUT on loopback).
 */
const UPLOAD_PIECE_MAX = 64 * 1024;
/** Smaller pieces than this would cost more CPU than the floor's precision is worth. */
const UPLOAD_PIECE_MIN = 16 * 1024;

export interface ExchangeOptions {
  method: string;
  headers: Record<string, string>;
  /**
   * The request body. An iterable's chunks may be reused by their producer once the next
   * but one is asked for: undici waits for the socket to drain a chunk it could not write
   * at once before it asks for the next.
   */
  body?: string | Uint8Array | AsyncIterable<Uint8Array> | undefined;
  signal?: AbortSignal | undefined;
  /** Longest wait for the answer's head (restarted by every write of the request body), ms. */
  headersTimeout: number;
  /** Longest pause of the body, ms. */
  bodyTimeout: number;
  /** Most bytes the body may have; the first byte beyond ends the exchange with BODY_TOO_LONG. */
  maxBodyBytes?: number | undefined;
  /** The floor rate of the answer's body, and of a streamed request body while it is sent; `false` turns it off. Default DEFAULT_SPEED_FLOOR. */
  speedFloor?: SpeedFloor | false | undefined;
}

export interface ExchangeResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: ChunkBody;
}

/**
 * A receiver of body bytes: `chunk` is valid only during the call (its memory may take
 * another read once the sink returns: copy what must stay); a returned promise pauses the
 * connection until it settles.
 */
export type BodySink = (chunk: Buffer) => void | Promise<void>;

const coded = (message: string, code: string): Error => Object.assign(new Error(message), { code });

/**
 * The answer's body. Read it as a stream (error bodies, JSON) or, chunk by chunk with
 * backpressure, with `consume`. Destroying it aborts the exchange.
 */
export class ChunkBody extends Readable {
  #sink: BodySink | undefined;
  #ended: Promise<void>;
  #settle!: { resolve: () => void; reject: (err: Error) => void };
  #control: BodyControl;
  #done = false;
  /** `#ended` is settled. */
  #settled = false;
  /** The sink's last write, while it lands. */
  #pending: Promise<void> | undefined;
  /** Chunks that came while a write was landing. */
  readonly #queue: Buffer[] = [];
  #finishing: (() => void) | undefined;
  /** The connection the body's chunks came from (pooled reads only). */
  #connection: ConnectionState | undefined;

  /** @internal */
  constructor(control: BodyControl) {
    super({ highWaterMark: 256 * 1024 });
    this.#control = control;
    this.#ended = new Promise((resolve, reject) => {
      this.#settle = {
        resolve: () => {
          this.#settled = true;
          resolve();
        },
        reject: (err) => {
          this.#settled = true;
          reject(err);
        },
      };
    });
    this.#ended.catch(() => undefined);
    // The exchange can fail before anyone reads (a reset while the caller is still busy
    // between the head and `consume`): the error is kept in `#ended` and in the stream's
    // destroyed state for whoever reads next, never thrown as an unlistened 'error'.
    this.on('error', () => undefined);
  }

  /** Feeds every remaining chunk to `sink`; resolves at the body's end, rejects with the exchange's error. */
  consume(sink: BodySink): Promise<void> {
    this.#sink = sink;
    this.#control.resume();
    return this.#ended;
  }

  override _read(): void {
    this.#control.resume();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    // A body read to its end is destroyed too (autoDestroy): no error to make then (an
    // Error's stack costs more than the rest of a small answer's handling).
    if (!this.#done || !this.#settled) {
      const reason = err ?? coded('The body was destroyed before its end', 'UND_ERR_ABORTED');
      if (!this.#done) this.#control.abort(reason);
      this.#settle.reject(reason);
    }
    this.#done = true;
    callback(err);
  }

  /** @internal Hands a chunk on; answers false when the connection should pause. */
  deliver(chunk: Buffer): boolean {
    if (this.#done) return false;
    if (!this.#sink) return this.push(chunk);
    if (this.#pending) {
      // undici may hand out the rest of a socket read after a pause: keep it in order (it
      // is a view of that read's own buffer, which nothing else reuses).
      this.#queue.push(chunk);
      return false;
    }
    return this.#feed(chunk);
  }

  #feed(chunk: Buffer): boolean {
    let pending: void | Promise<void>;
    try {
      pending = this.#sink!(chunk);
    } catch (err) {
      this.#queue.length = 0;
      this.#control.abort(err as Error);
      // The exchange may have ended already (a queued chunk fed after its end): the
      // abort is then a no-op, so settle here too.
      this.fail(err as Error);
      return false;
    }
    // The sink copied it: the socket read it came from may be used again.
    this.#connection = bodyDelivered(chunk) ?? this.#connection;
    if (!pending) return true;
    this.#pending = pending.then(
      () => {
        this.#pending = undefined;
        while (this.#queue.length > 0) {
          if (!this.#feed(this.#queue.shift()!)) return;
        }
        if (this.#finishing) this.#finishing();
        else this.#control.resume();
      },
      (err: unknown) => {
        this.#pending = undefined;
        this.#queue.length = 0;
        this.#control.abort(err as Error);
        this.fail(err as Error);
      },
    );
    return false;
  }

  /** @internal The exchange ended: the body ends once every chunk reached the sink. */
  finish(): void {
    if (this.#done) return;
    this.#done = true;
    const end = (): void => {
      this.#finishing = undefined;
      bodyEnded(this.#connection);
      this.#settle.resolve();
      if (!this.#sink) this.push(null);
    };
    if (this.#pending) this.#finishing = end;
    else end();
  }

  /** @internal */
  fail(err: Error): void {
    this.#finishing = undefined;
    this.#settle.reject(err);
    if (!this.#sink && !this.destroyed) this.destroy(err);
    this.#done = true;
  }
}

interface BodyControl {
  resume(): void;
  abort(err: Error): void;
}

/** Sends one request through `dispatcher`; resolves once the answer's head is in. */
export function streamedRequest(url: URL, opts: ExchangeOptions, dispatcher: Dispatcher): Promise<ExchangeResponse> {
  return new Promise<ExchangeResponse>((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    let body: ChunkBody | undefined;
    let settled = false;
    let finished = false;
    let received = 0;
    let stopFloor: (() => void) | undefined;
    let stopSendFloor: (() => void) | undefined;
    let pausedByUs = false;
    /** We paused the connection at some time in the floor's current window. */
    let pausedInWindow = false;

    const end = (err: Error | undefined): void => {
      if (finished) return;
      finished = true;
      stopFloor?.();
      stopSendFloor?.();
      opts.signal?.removeEventListener('abort', onAbort);
      if (!settled) {
        settled = true;
        reject(err ?? coded('The connection closed before an answer', 'UND_ERR_SOCKET'));
      } else if (err) {
        body?.fail(err);
      } else {
        body?.finish();
      }
    };
    const abort = (err: Error): void => {
      if (finished) return;
      if (controller && !controller.aborted) controller.abort(err);
      // undici reports the abort through onResponseError; end here too in case it already finished.
      end(err);
    };
    const onAbort = (): void =>
      abort(Object.assign(new Error('The request was aborted'), { name: 'AbortError', code: 'UND_ERR_ABORTED' }));

    const control: BodyControl = {
      resume: () => {
        pausedByUs = false;
        if (controller && !finished && controller.paused) controller.resume();
      },
      abort,
    };

    const floor = opts.speedFloor === false ? undefined : (opts.speedFloor ?? DEFAULT_SPEED_FLOOR);
    const watchFloor = (): void => {
      if (!floor) return;
      let windowStart = received;
      const clock = floor.clock ?? REAL_CLOCK;
      let timer: unknown;
      const check = (): void => {
        // A pause of ours (the disk is behind) is not the server's slowness.
        const wanted = (floor.bytesPerSecond * floor.windowMs) / 1000;
        if (!pausedByUs && !pausedInWindow && received - windowStart < wanted) {
          abort(
            coded(
              `The body came slower than ${floor.bytesPerSecond} bytes/s over ${Math.round(floor.windowMs / 1000)} s (${received - windowStart} bytes)`,
              BODY_TOO_SLOW,
            ),
          );
          return;
        }
        windowStart = received;
        pausedInWindow = false;
        timer = clock.setTimeout(check, floor.windowMs);
      };
      timer = clock.setTimeout(check, floor.windowMs);
      stopFloor = () => clock.clearTimeout(timer);
    };

    // A pooled connection's events run in the context of whoever opened it: hand the
    // body to the caller in the caller's own context (its progress hooks, its signal).
    // (One AsyncResource rather than AsyncLocalStorage.snapshot(), which binds a fresh function per request.)
    const caller = new AsyncResource('sregistry.exchange');
    const inCallerContext = (fn: () => void): void => caller.runInAsyncScope(fn);
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (opts.signal?.aborted)
          c.abort(Object.assign(new Error('The request was aborted'), { name: 'AbortError', code: 'UND_ERR_ABORTED' }));
      },
      onResponseStart(c, statusCode, headers) {
        inCallerContext(() => responseStart(c, statusCode, headers));
      },
      onResponseData(c, chunk) {
        inCallerContext(() => responseData(c, chunk));
      },
      onResponseEnd() {
        inCallerContext(() => end(undefined));
      },
      onResponseError(_c, err) {
        inCallerContext(() => end(err));
      },
    };

    function responseStart(
      c: Dispatcher.DispatchController,
      statusCode: number,
      headers: Record<string, unknown>,
    ): void {
      controller = c;
      if (settled) return;
      settled = true;
      // The server answered: what it still takes of the request body is up to it.
      stopSendFloor?.();
      body = new ChunkBody(control);
      // Nobody reads yet: hold the connection until a reader comes.
      c.pause();
      pausedByUs = true;
      watchFloor();
      resolve({ statusCode, headers: headers as ExchangeResponse['headers'], body });
    }

    function responseData(c: Dispatcher.DispatchController, chunk: Buffer): void {
      if (finished || !body) return;
      if (opts.maxBodyBytes !== undefined && received + chunk.length > opts.maxBodyBytes) {
        abort(coded(`The body is longer than ${opts.maxBodyBytes} bytes`, BODY_TOO_LONG));
        return;
      }
      received += chunk.length;
      if (!body.deliver(chunk)) {
        pausedByUs = true;
        pausedInWindow = true;
        if (!c.paused) c.pause();
      }
    }

    let requestBody = opts.body;
    if (floor && requestBody !== undefined && typeof requestBody !== 'string' && !(requestBody instanceof Uint8Array)) {
      const metered = meteredUpload(requestBody, floor, abort);
      requestBody = metered.body;
      stopSendFloor = metered.stop;
    }

    if (opts.signal?.aborted) {
      onAbort();
      return;
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      dispatcher.dispatch(
        {
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: opts.method as Dispatcher.HttpMethod,
          headers: opts.headers,
          body: requestBody as never,
          headersTimeout: opts.headersTimeout,
          bodyTimeout: opts.bodyTimeout,
        },
        handler,
      );
    } catch (err) {
      end(err as Error);
    }
  });
}

/**
 * A streamed request body handed out in pieces, with the floor rate watching how fast the
 * connection takes them: a window in which less than the floor's worth was taken while a
 * piece waited on the connection counts against the server (a window in which we waited
 * for our own source, the disk or the hash, does not). A piece larger than a window's
 * worth gets the windows it needs at the floor rate. `tooSlow` ends the exchange.
 */
function meteredUpload(
  source: AsyncIterable<Uint8Array>,
  floor: SpeedFloor,
  tooSlow: (err: Error) => void,
): { body: AsyncGenerator<Uint8Array>; stop: () => void } {
  const clock = floor.clock ?? REAL_CLOCK;
  const wanted = (floor.bytesPerSecond * floor.windowMs) / 1000;
  const pieceMax = Math.min(UPLOAD_PIECE_MAX, Math.max(UPLOAD_PIECE_MIN, Math.floor(wanted)));
  const patience = Math.max(1, Math.ceil(pieceMax / Math.max(1, wanted)));
  let taken = 0;
  let windowStart = 0;
  let stalled = 0;
  /** We wait for the source now, and did at some time in the current window. */
  let ourTurn = true;
  let ourTurnInWindow = true;
  let timer: unknown;
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    clock.clearTimeout(timer);
  };
  const check = (): void => {
    if (stopped) return;
    const moved = taken - windowStart;
    windowStart = taken;
    if (moved >= wanted || ourTurnInWindow) stalled = 0;
    else if (++stalled >= patience) {
      stop();
      tooSlow(
        coded(
          `The server took the request body slower than ${floor.bytesPerSecond} bytes/s over ${Math.round(floor.windowMs / 1000)} s (${moved} bytes)`,
          BODY_TOO_SLOW,
        ),
      );
      return;
    }
    ourTurnInWindow = ourTurn;
    timer = clock.setTimeout(check, floor.windowMs);
  };
  async function* pieces(): AsyncGenerator<Uint8Array> {
    timer = clock.setTimeout(check, floor.windowMs);
    try {
      for await (const chunk of source) {
        ourTurn = false;
        if (typeof chunk === 'string') {
          yield chunk;
          taken += Buffer.byteLength(chunk);
        } else {
          for (let at = 0; at < chunk.byteLength; at += pieceMax) {
            const piece =
              at === 0 && chunk.byteLength <= pieceMax
                ? chunk
                : chunk.subarray(at, Math.min(chunk.byteLength, at + pieceMax));
            yield piece;
            // Asked for more: the connection took the piece.
            taken += piece.byteLength;
          }
        }
        ourTurn = true;
        ourTurnInWindow = true;
      }
    } finally {
      stop();
    }
  }
  return { body: pieces(), stop };
}
