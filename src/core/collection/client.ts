import { stat } from 'node:fs/promises';
import { collectionHttpsScope, dataAccessScope } from '../auth/scopes.js';
import type { TokenSource } from '../auth/token-source.js';
import { SregistryError } from '../errors.js';
import { request, type ApiCall, type HttpResponse, type RequestOptions } from '../http/request.js';
import type { Network } from '../http/agent.js';
import { BODY_TOO_LONG, type SpeedFloor } from '../http/streamed-exchange.js';
import { ERROR_BODY_LIMIT } from '../http/body.js';
import { retryPolicy, type RetryPolicy } from '../http/retry.js';
import { answerError, type CallDescription } from './answer-error.js';
import { RunningDigest, type Digest } from './digest.js';
import {
  ResumableDownload,
  type ChunkObserver,
  type DownloadProgress,
  type StageObserver,
  type TransferResult,
} from './download.js';
import { uploadBody, type UploadAttempt, type UploadProgress, type UploadSource } from './upload-body.js';
import { collectionUrl, type CollectionTarget } from './url.js';

/** What the client needs from a token source: TokenSource fits. */
export type HttpsTokens = Pick<TokenSource, 'withToken'> & Partial<Pick<TokenSource, 'clientId'>>;

export interface CollectionHttpsClientOptions {
  tokens: HttpsTokens;
  /** Named in permission advice (`<id>@clients.auth.globus.org`); defaults to the token source's client id. */
  clientId?: string;
  /** Per attempt: longest wait for an answer's headers and between body chunks, ms. */
  timeoutMs?: number;
  /** Retry policy overrides (also bounds how often a cut download resumes); `false` sends once. */
  retry?: Partial<RetryPolicy> | false;
  /** Told about every answered attempt (method, URL, status, request id), as the transport reports it. */
  onCall?: (call: ApiCall) => void;
  /** The dispatcher and proxies of every call; default: the environment's. */
  network?: Network;
  /** The floor rate of file bodies (default DEFAULT_SPEED_FLOOR: 1 KiB/s over 20 s); `false` turns it off. */
  speedFloor?: SpeedFloor | false;
}

export interface UploadOptions {
  signal?: AbortSignal;
  onProgress?: UploadProgress;
}

export interface DownloadOptions {
  signal?: AbortSignal;
  onProgress?: DownloadProgress;
  /** The size the file must have; a different one fails before the body is read, and no byte beyond it is written. */
  expectedSize?: number;
  /** Without an expected size: most bytes the file may have (announced larger fails before reading, the first byte beyond while reading). */
  maxBytes?: number;
  /** Sees every byte in file order before it is written; throwing ends the download with that error. */
  onChunk?: ChunkObserver;
  /** Sees the file in the buffers it is written and hashed from, and may hold each until its promise settles (a second hash reading them in place). */
  onStage?: StageObserver;
}

/** An upload's outcome; `attempts` > 1 means an earlier attempt was cut or refused (its bytes may still land at the path). */
export interface UploadResult extends TransferResult {
  attempts: number;
}

export interface RemoteFileInfo {
  size: number;
  etag?: string;
  lastModified?: string;
}

export type { ApiCall, ChunkObserver, CollectionTarget, TransferResult, UploadSource };

const header = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/**
 * Files on a GCSv5 collection's HTTPS server: streamed PUT and GET with SHA-256 computed
 * in the same pass as the bytes move, resumable downloads, HEAD and DELETE. Every call
 * uses a token for the collection's `https` scope (renewed once on a 401).
 */
export class CollectionHttpsClient {
  readonly #tokens: HttpsTokens;
  readonly #clientId: string | undefined;
  readonly #timeoutMs: number | undefined;
  readonly #retry: Partial<RetryPolicy> | false | undefined;
  readonly #onCall: ((call: ApiCall) => void) | undefined;
  readonly #network: Network | undefined;
  readonly #speedFloor: SpeedFloor | false | undefined;

  constructor(options: CollectionHttpsClientOptions) {
    this.#tokens = options.tokens;
    this.#clientId = options.clientId ?? options.tokens.clientId;
    this.#timeoutMs = options.timeoutMs;
    this.#retry = options.retry;
    this.#onCall = options.onCall;
    this.#network = options.network;
    this.#speedFloor = options.speedFloor;
  }

  /** The public https URL of `path` on the collection. */
  url(target: CollectionTarget, path: string): string {
    return collectionUrl(target, path).href;
  }

  /**
   * Streams `source` to `PUT <https_server><path>`, hashing it on the way. A retried
   * attempt (reset connection, 503...) reads the source again and hashes from scratch.
   * The parent folder must exist (NOT_FOUND otherwise).
   */
  async upload(
    target: CollectionTarget,
    path: string,
    source: UploadSource,
    options: UploadOptions = {},
  ): Promise<UploadResult> {
    const call = this.#describe('PUT', target, path, `uploading ${path} to collection ${target.collectionId}`);
    const size = 'file' in source ? await fileSize(source.file) : source.size;
    // Each attempt hashes from scratch.
    const digests: Digest[] = [];
    const newDigest = (): Digest => {
      const digest = new RunningDigest();
      digests.push(digest);
      return digest;
    };
    try {
      return await this.#upload(call, size, source, options, newDigest);
    } finally {
      await Promise.all(digests.map((d) => d.close()));
    }
  }

  #upload(
    call: CallDescription,
    size: number | undefined,
    source: UploadSource,
    options: UploadOptions,
    newDigest: () => Digest,
  ): Promise<UploadResult> {
    let attempts = 0;
    return this.#tokens.withToken(
      call.scope,
      async (token) => {
        const current: { attempt?: UploadAttempt } = {};
        const headers: Record<string, string> = {
          authorization: `Bearer ${token}`,
          'content-type': 'application/octet-stream',
        };
        if (size !== undefined) headers['content-length'] = String(size);
        let res: HttpResponse;
        try {
          res = await request({
            ...this.#common(call, options.signal),
            headers,
            maxBodyBytes: ANSWER_BODY_LIMIT,
            body: () => {
              attempts++;
              const attempt: UploadAttempt = { digest: newDigest(), complete: false };
              current.attempt = attempt;
              return uploadBody(source, size, attempt, options.onProgress);
            },
          });
        } catch (err) {
          throw current.attempt?.localError ?? err;
        }
        if (res.status < 200 || res.status >= 300) throw await answerError(res, call, token);
        await discard(res, call);
        const attempt = current.attempt;
        if (!attempt?.complete) {
          throw new SregistryError(
            'INVALID_RESPONSE',
            `${call.ctx.action} failed: the server answered HTTP ${res.status} before the whole body was sent; try again`,
            { status: res.status },
          );
        }
        return { sha256: await attempt.digest.hex(), size: attempt.digest.bytes, attempts };
      },
      options.signal ? { signal: options.signal } : {},
    );
  }

  /**
   * Streams `GET <https_server><path>` into `destination` (a temp file the caller owns and
   * removes, also after a failure), hashing on the fly; a cut body is resumed with a Range
   * request. The caller compares `sha256` with what it expects.
   */
  async download(
    target: CollectionTarget,
    path: string,
    destination: string,
    options: DownloadOptions = {},
  ): Promise<TransferResult> {
    const call = this.#describe('GET', target, path, `downloading ${path} from collection ${target.collectionId}`);
    const policy = retryPolicy(this.#retry === false ? { maxRetries: 0 } : this.#retry);
    const download = new ResumableDownload({
      destination,
      action: call.ctx.action!,
      where: `${call.url.origin}${call.url.pathname}`,
      policy,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.expectedSize !== undefined ? { expectedSize: options.expectedSize } : {}),
      ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}),
      ...(options.onChunk ? { onChunk: options.onChunk } : {}),
      ...(options.onStage ? { onStage: options.onStage } : {}),
      get: (headers, maxBodyBytes) =>
        request({
          ...this.#common(call, options.signal),
          headers,
          ...(maxBodyBytes !== undefined ? { maxBodyBytes } : {}),
        }),
      fail: (res) => answerError(res, call, current),
    });
    let current: string | undefined;
    try {
      return await this.#tokens.withToken(
        call.scope,
        (token) => {
          current = token;
          return download.run(token);
        },
        options.signal ? { signal: options.signal } : {},
      );
    } finally {
      await download.close();
    }
  }

  /** Size and validators of a file; undefined when there is none at `path`. */
  async head(
    target: CollectionTarget,
    path: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<RemoteFileInfo | undefined> {
    const call = this.#describe('HEAD', target, path, `checking ${path} on collection ${target.collectionId}`);
    return this.#tokens.withToken(
      call.scope,
      async (token) => {
        const res = await request({
          ...this.#common(call, options.signal),
          headers: { authorization: `Bearer ${token}` },
          maxBodyBytes: ANSWER_BODY_LIMIT,
        });
        if (res.status === 404) {
          await res.dump().catch(() => undefined);
          return undefined;
        }
        if (res.status < 200 || res.status >= 300) throw await answerError(res, call, token);
        await discard(res, call);
        const length = header(res.headers['content-length']);
        if (length === undefined || !/^\d+$/.test(length)) {
          throw new SregistryError(
            'INVALID_RESPONSE',
            `${call.ctx.action} failed: the answer has no usable Content-Length`,
            { status: res.status },
          );
        }
        const etag = header(res.headers.etag);
        const lastModified = header(res.headers['last-modified']);
        return { size: Number(length), ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) };
      },
      options.signal ? { signal: options.signal } : {},
    );
  }

  /** Deletes the file at `path`; NOT_FOUND when there is none (callers may ignore that). */
  async remove(target: CollectionTarget, path: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const call = this.#describe('DELETE', target, path, `deleting ${path} on collection ${target.collectionId}`);
    await this.#tokens.withToken(
      call.scope,
      async (token) => {
        const res = await request({
          ...this.#common(call, options.signal),
          headers: { authorization: `Bearer ${token}` },
          maxBodyBytes: ANSWER_BODY_LIMIT,
        });
        if (res.status < 200 || res.status >= 300) throw await answerError(res, call, token);
        await discard(res, call);
      },
      options.signal ? { signal: options.signal } : {},
    );
  }

  #describe(method: string, target: CollectionTarget, path: string, action: string): CallDescription {
    return {
      method,
      url: collectionUrl(target, path),
      path,
      collectionId: target.collectionId,
      // As globus-sdk-python's GCSDownloader: https, plus data_access on a non-high-assurance mapped collection.
      scope: target.dataAccess
        ? [collectionHttpsScope(target.collectionId), dataAccessScope(target.collectionId)]
        : collectionHttpsScope(target.collectionId),
      ctx: { action, ...(this.#clientId ? { clientId: this.#clientId } : {}) },
    };
  }

  /** Request options every call shares; error answers come back to be mapped here. */
  #common(call: CallDescription, signal: AbortSignal | undefined): RequestOptions {
    return {
      method: call.method,
      url: call.url,
      throwOnError: false,
      errorContext: call.ctx,
      ...(signal ? { signal } : {}),
      ...(this.#timeoutMs !== undefined ? { timeoutMs: this.#timeoutMs } : {}),
      ...(this.#retry !== undefined ? { retry: this.#retry } : {}),
      ...(this.#onCall !== undefined ? { onCall: this.#onCall } : {}),
      ...(this.#network !== undefined ? { network: this.#network } : {}),
      ...(this.#speedFloor !== undefined ? { speedFloor: this.#speedFloor } : {}),
    };
  }
}

async function fileSize(file: string): Promise<number> {
  try {
    const stats = await stat(file);
    if (!stats.isFile())
      throw new SregistryError('LOCAL_IO', `${file} is not a regular file; give the path of an image file`);
    return stats.size;
  } catch (err) {
    if (err instanceof SregistryError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SregistryError('NOT_FOUND', `No file at ${file}; check the path`, { cause: err });
    throw new SregistryError('LOCAL_IO', `Cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}

/**
 * The bound of a PUT, HEAD or DELETE answer's body. An error body is read up to
 * ERROR_BODY_LIMIT; twice that lets the socket read crossing it still arrive whole.
 */
const ANSWER_BODY_LIMIT = 2 * ERROR_BODY_LIMIT;

/**
 * Reads and drops the body of a successful PUT, HEAD or DELETE, which has nothing to say:
 * the request bounds it by ANSWER_BODY_LIMIT, so a server that streams one without end
 * cannot hold the call open.
 */
async function discard(res: HttpResponse, call: CallDescription): Promise<void> {
  try {
    await res.dump();
  } catch (err) {
    if ((err as { code?: unknown }).code !== BODY_TOO_LONG) throw err;
    throw new SregistryError(
      'INVALID_RESPONSE',
      `${call.ctx.action} failed: the server's HTTP ${res.status} answer has a body over ${ANSWER_BODY_LIMIT / 1024} KiB; check the collection's HTTPS server`,
      { status: res.status, cause: err },
    );
  }
}
