import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { SregistryError, isSregistryError } from '../errors.js';
import { safeText } from '../http/globus-error.js';
import { BODY_TOO_LONG, ChunkBody } from '../http/streamed-exchange.js';
import type { HttpResponse } from '../http/request.js';
import {
  abortedError,
  decideRetry,
  isTimeoutCode,
  networkErrorCode,
  waitToRetry,
  type RetryDecision,
  type RetryPolicy,
} from '../http/retry.js';
import { RunningDigest, type Digest } from './digest.js';
import { PositionedWriter } from './file-writer.js';

export type DownloadProgress = (bytes: number, total?: number) => void;

/**
 * Sees every byte of a download once, in file order, before it is written: `offset` is
 * where `chunk` starts in the file. `chunk` is valid only during the call. Throwing ends
 * the download with that error (nothing more is written). When a server ignores a range
 * request the file starts over, and the observer sees offset 0 again.
 */
export type ChunkObserver = (chunk: Uint8Array, offset: number) => void;

/**
 * Sees the file in the buffers it is written and hashed from (a few MiB each, in file
 * order; views of SharedArrayBuffer memory when the hash runs on a worker thread), so a
 * second hash can read the same memory in place. The buffer is reused once the returned
 * promise (if any) settles and the write and the file's hash are done. When the file
 * starts over, the observer sees offset 0 again.
 */
export type StageObserver = (view: Uint8Array, offset: number) => void | Promise<void>;

export interface DownloadSettings {
  destination: string;
  /** What is being done, for messages: `downloading <path> from collection <id>`. */
  action: string;
  /** Origin and path of the file's URL (never the query), for retry hooks. */
  where: string;
  policy: RetryPolicy;
  signal?: AbortSignal;
  onProgress?: DownloadProgress;
  expectedSize?: number;
  /** Most bytes the file may have when no size is expected (a marker): larger fails before or while reading. */
  maxBytes?: number;
  onChunk?: ChunkObserver;
  onStage?: StageObserver;
  /** Sends one GET with these extra headers and body bound; answers whatever status came (after the transport's own retries). */
  get: (headers: Record<string, string>, maxBodyBytes: number | undefined) => Promise<HttpResponse>;
  /** The error for an answer that is not 200/206. */
  fail: (res: HttpResponse) => Promise<SregistryError>;
}

export interface TransferResult {
  /** SHA-256 of the bytes moved, 64 lowercase hex. */
  sha256: string;
  size: number;
}

const header = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/**
 * One file coming down into `destination`, hashed as it arrives. If the body is cut, the
 * next attempt asks for the rest (`Range: bytes=<received>-`, guarded by `If-Range`) and
 * the same hash state continues; a whole-file answer instead means the file changed, so
 * the download starts over. State lives here, outside any one token, so `run` can be
 * called again with a renewed token and carries on where it stopped.
 */
export class ResumableDownload {
  readonly #s: DownloadSettings;
  /** Fed by the writer as its buffers go to disk: after a drain it has every byte received. */
  readonly #digest: Digest;
  #handle: FileHandle | undefined;
  /** Size of the file as the server announced it. */
  #total: number | undefined;
  /** What makes a range request safe: a strong ETag, else Last-Modified, else a weak ETag. */
  #validator: string | undefined;
  #cuts = 0;
  /** What the chunk observer threw: the download ends with it. */
  #observerError: unknown;

  constructor(settings: DownloadSettings) {
    this.#s = settings;
    // The file's hash runs on this thread: measured no slower than a worker thread for a pull,
    // and a thread's isolate costs 12-15 MB of peak memory (PERFORMANCE.md). A stage observer
    // (the signature check) gets stages in shared memory, which its own thread, started only
    // when the image turns out to be signed, reads in place.
    this.#digest = observed(new RunningDigest(), settings.onStage);
  }

  async run(token: string): Promise<TransferResult> {
    const handle = await this.#open();
    for (;;) {
      this.#checkAbort();
      const received = this.#digest.bytes;
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (received > 0) {
        headers.range = `bytes=${received}-`;
        if (this.#validator) headers['if-range'] = this.#validator;
      }
      const limit = this.#limit();
      const res = await this.#s.get(headers, limit === undefined ? undefined : Math.max(0, limit - received));
      await this.#accept(res, received, handle);
      let cut: { err: unknown; next: RetryDecision } | undefined;
      try {
        await this.#consume(res.body, handle);
      } catch (err) {
        if (this.#observerError !== undefined) throw this.#observerError;
        this.#checkAbort();
        if (isSregistryError(err)) throw err;
        // A cut body is resumed with a Range request, if the decision allows another attempt.
        const next = decideRetry(this.#s.policy, {
          retries: this.#cuts,
          outcome: { kind: 'cut', code: networkErrorCode(err) },
        });
        if (!next.retry && next.why === 'not-retryable') throw this.#failure(err);
        cut = { err, next };
      }
      const got = this.#digest.bytes;
      if (this.#total !== undefined && got > this.#total) {
        throw new SregistryError(
          'INVALID_RESPONSE',
          `${this.#s.action} failed: the server sent ${got} bytes of a ${this.#total}-byte file; try again`,
        );
      }
      if (cut === undefined && (this.#total === undefined || got === this.#total)) {
        if (this.#s.expectedSize !== undefined && got !== this.#s.expectedSize) throw this.#sizeMismatch(got);
        return { sha256: await this.#digest.hex(), size: got };
      }
      const next = cut?.next ?? decideRetry(this.#s.policy, { retries: this.#cuts, outcome: { kind: 'short' } });
      await this.#beforeResume(next, cut?.err ?? new Error(`the body ended after ${got} of ${this.#total} bytes`));
    }
  }

  /** Closes the file (the caller owns and removes it) and ends the digest. */
  async close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await Promise.all([handle?.close(), this.#digest.close()]);
  }

  async #open(): Promise<FileHandle> {
    if (this.#handle) return this.#handle;
    try {
      this.#handle = await open(this.#s.destination, 'w');
    } catch (err) {
      throw new SregistryError(
        'LOCAL_IO',
        `Cannot write ${this.#s.destination}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    return this.#handle;
  }

  /** Checks the answer's status and range against what was asked; starts over on a whole-file answer to a range. */
  async #accept(res: HttpResponse, received: number, handle: FileHandle): Promise<void> {
    if (res.status === 416) {
      await res.dump().catch(() => undefined);
      throw new SregistryError(
        'INVALID_RESPONSE',
        `${this.#s.action} failed: the server refused to send the rest from byte ${received} (HTTP 416): the file changed on the collection; download it again`,
        { status: 416 },
      );
    }
    if (res.status !== 200 && res.status !== 206) {
      if (res.status >= 200 && res.status < 300) {
        await res.dump().catch(() => undefined);
        throw new SregistryError(
          'INVALID_RESPONSE',
          `${this.#s.action} failed: unexpected HTTP ${res.status} to a GET`,
          { status: res.status },
        );
      }
      throw await this.#s.fail(res);
    }
    const length = numeric(header(res.headers['content-length']));
    if (res.status === 200) {
      if (received > 0) {
        // The server ignored the range (If-Range did not match: a new version): start over.
        await handle.truncate(0);
        this.#digest.reset();
      }
      this.#total = length;
      const etag = header(res.headers.etag);
      const lastModified = header(res.headers['last-modified']);
      this.#validator = etag && !etag.startsWith('W/') ? etag : (lastModified ?? etag);
    } else {
      const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header(res.headers['content-range'])?.trim() ?? '');
      const start = range ? Number(range[1]) : NaN;
      const total = range && range[3] !== '*' ? Number(range[3]) : undefined;
      if (
        received === 0 ||
        start !== received ||
        (this.#total !== undefined && total !== undefined && total !== this.#total)
      ) {
        await res.dump().catch(() => undefined);
        throw new SregistryError(
          'INVALID_RESPONSE',
          `${this.#s.action} failed: asked for the bytes from ${received} but the server sent ${range ? `bytes ${range[1]}-${range[2]}/${range[3]}` : 'a partial answer without a usable Content-Range'}; download it again`,
          { status: 206 },
        );
      }
      this.#total ??= total;
    }
    if (this.#s.expectedSize !== undefined && this.#total !== undefined && this.#total !== this.#s.expectedSize) {
      await res.dump().catch(() => undefined);
      throw this.#sizeMismatch(this.#total);
    }
    if (this.#s.maxBytes !== undefined && this.#total !== undefined && this.#total > this.#s.maxBytes) {
      res.body.destroy();
      throw this.#tooLarge(this.#total);
    }
  }

  /** The size the file cannot exceed: what the listing said, what the server announced, or the caller's bound. */
  #limit(): number | undefined {
    const known = [this.#s.expectedSize, this.#total, this.#s.maxBytes].filter((n): n is number => n !== undefined);
    return known.length === 0 ? undefined : Math.min(...known);
  }

  /** `announced`: the size the answer declared; without it, the body itself ran past the limit. */
  #tooLarge(announced?: number): SregistryError {
    const what = announced !== undefined ? `announced ${announced} bytes, more than` : 'sent more than';
    return new SregistryError(
      'INVALID_RESPONSE',
      `${this.#s.action} failed: the server ${what} the ${this.#limit()} bytes the file may have; the collection server is not answering as it should`,
    );
  }

  /** Writes and hashes what arrives, in one pass; views of the connection's read buffer need no copies but the one into the writer. */
  async #consume(body: Readable, handle: FileHandle): Promise<void> {
    const expected = this.#total ?? this.#s.expectedSize;
    const writer = new PositionedWriter(
      handle,
      this.#s.destination,
      this.#digest.bytes,
      expected === undefined ? undefined : expected - this.#digest.bytes,
      this.#digest,
    );
    let received = this.#digest.bytes;
    const limit = this.#limit();
    const { onChunk } = this.#s;
    const take = (piece: Buffer): Promise<void> | undefined => {
      // Nothing beyond the size the file may have reaches the disk.
      if (limit !== undefined && received + piece.length > limit) throw this.#tooLarge();
      if (onChunk) {
        try {
          onChunk(piece, received);
        } catch (err) {
          this.#observerError = err;
          throw err;
        }
      }
      received += piece.length;
      this.#s.onProgress?.(received, this.#total);
      return writer.push(piece);
    };
    let bodyError: unknown;
    try {
      if (body instanceof ChunkBody) {
        await body.consume(take);
      } else {
        for await (const chunk of body as AsyncIterable<Buffer>) await take(chunk);
      }
    } catch (err) {
      bodyError = err;
    }
    // Every byte that arrived is on disk before the next request goes out.
    await writer.drain();
    if (bodyError !== undefined) throw bodyError;
  }

  async #beforeResume(next: RetryDecision, cause: unknown): Promise<void> {
    const code = networkErrorCode(cause);
    if (!next.retry) {
      if (isTimeoutCode(code)) {
        throw new SregistryError(
          'TIMEOUT',
          `${this.#s.action} failed: the body stalled or came too slowly ${this.#cuts + 1} times (last at byte ${this.#digest.bytes}, ${code}); check the network and try again`,
          { cause },
        );
      }
      throw new SregistryError(
        'NETWORK',
        `${this.#s.action} failed: the connection was cut ${this.#cuts + 1} times (last at byte ${this.#digest.bytes}${code ? `, ${code}` : ''}); check the network and try again`,
        { cause },
      );
    }
    this.#cuts++;
    try {
      await waitToRetry(
        this.#s.policy,
        next,
        { retry: this.#cuts, method: 'GET', url: this.#s.where, ...(code ? { errorCode: code } : {}) },
        this.#s.signal,
      );
    } catch (err) {
      this.#checkAbort();
      throw err;
    }
  }

  #sizeMismatch(size: number): SregistryError {
    return new SregistryError(
      'CHECKSUM_MISMATCH',
      `${this.#s.action} failed: the file on the collection has ${size} bytes, expected ${this.#s.expectedSize}; the remote copy is not the expected one`,
    );
  }

  #checkAbort(): void {
    if (this.#s.signal?.aborted) throw abortedError(this.#s.action.replace(/^./, (c) => c.toUpperCase()));
  }

  #failure(err: unknown): SregistryError {
    if (isSregistryError(err)) return err;
    const code = networkErrorCode(err);
    const detail = safeText(err instanceof Error ? err.message : String(err), [], 160);
    if (code === BODY_TOO_LONG) return this.#tooLarge();
    return new SregistryError(
      'NETWORK',
      `${this.#s.action} failed while receiving the body (${code ?? 'error'}: ${detail}); check the network and try again`,
      { cause: err },
    );
  }
}

/**
 * `digest`, with `observer` seeing each buffer it is fed (at its file offset) and holding it
 * until both are done; the buffers are then SharedArrayBuffer memory, for the observer's thread.
 */
function observed(digest: Digest, observer: StageObserver | undefined): Digest {
  if (!observer) return digest;
  return {
    get bytes() {
      return digest.bytes;
    },
    shared: true,
    update(view) {
      const offset = digest.bytes;
      const own = digest.update(view);
      let seen: void | Promise<void>;
      try {
        seen = observer(view, offset);
      } catch (err) {
        seen = Promise.reject(err);
      }
      return own || seen ? Promise.all([own, seen]).then(() => undefined) : undefined;
    },
    reset: () => digest.reset(),
    hex: () => digest.hex(),
    close: () => digest.close(),
  };
}

function numeric(v: string | undefined): number | undefined {
  return v !== undefined && /^\d+$/.test(v.trim()) ? Number(v) : undefined;
}
