import { stat } from 'node:fs/promises';
import { collectionHttpsScope, dataAccessScope } from '../auth/scopes.js';
import type { TokenSource } from '../auth/token-source.js';
import { SregistryError } from '../errors.js';
import { request, type ApiCall, type HttpResponse, type RequestOptions } from '../http/request.js';
import { retryPolicy, type RetryPolicy } from '../http/retry.js';
import { answerError, type CallDescription } from './answer-error.js';
import { RunningDigest, digestFor, type Digest } from './digest.js';
import { ResumableDownload, type DownloadProgress, type TransferResult } from './download.js';
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
}

export interface UploadOptions {
  signal?: AbortSignal;
  onProgress?: UploadProgress;
}

export interface DownloadOptions {
  signal?: AbortSignal;
  onProgress?: DownloadProgress;
  /** Sees every piece in file order as it arrives (offset 0 again: the download started over); may throw to stop it. */
  onChunk?: (chunk: Uint8Array, offset: number) => void;
  /** The size the file must have; a different one fails before the body is read. */
  expectedSize?: number;
}

export interface RemoteFileInfo {
  size: number;
  etag?: string;
  lastModified?: string;
}

export type { ApiCall, CollectionTarget, TransferResult, UploadSource };

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

  constructor(options: CollectionHttpsClientOptions) {
    this.#tokens = options.tokens;
    this.#clientId = options.clientId ?? options.tokens.clientId;
    this.#timeoutMs = options.timeoutMs;
    this.#retry = options.retry;
    this.#onCall = options.onCall;
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
  async upload(target: CollectionTarget, path: string, source: UploadSource, options: UploadOptions = {}): Promise<TransferResult> {
    const call = this.#describe('PUT', target, path, `uploading ${path} to collection ${target.collectionId}`);
    const size = 'file' in source ? await fileSize(source.file) : source.size;
    // Each attempt hashes from scratch; a large file on a worker thread (closed at the end).
    const digests: Digest[] = [];
    const newDigest = (): Digest => {
      const digest = 'file' in source ? digestFor(size) : new RunningDigest();
      digests.push(digest);
      return digest;
    };
    try {
      return await this.#upload(call, size, source, options, newDigest);
    } finally {
      await Promise.all(digests.map((d) => d.close()));
    }
  }

  #upload(call: CallDescription, size: number | undefined, source: UploadSource, options: UploadOptions, newDigest: () => Digest): Promise<TransferResult> {
    return this.#tokens.withToken(
      call.scope,
      async (token) => {
        const current: { attempt?: UploadAttempt } = {};
        const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' };
        if (size !== undefined) headers['content-length'] = String(size);
        let res: HttpResponse;
        try {
          res = await request({
            ...this.#common(call, options.signal),
            headers,
            bulk: true,
            body: () => {
              const attempt: UploadAttempt = { digest: newDigest(), complete: false };
              current.attempt = attempt;
              return uploadBody(source, size, attempt, options.onProgress);
            },
          });
        } catch (err) {
          throw current.attempt?.localError ?? err;
        }
        if (res.status < 200 || res.status >= 300) throw await answerError(res, call, token);
        await res.dump();
        const attempt = current.attempt;
        if (!attempt?.complete) {
          throw new SregistryError('INVALID_RESPONSE', `${call.ctx.action} failed: the server answered HTTP ${res.status} before the whole body was sent; try again`, { status: res.status });
        }
        return { sha256: await attempt.digest.hex(), size: attempt.digest.bytes };
      },
      options.signal ? { signal: options.signal } : {},
    );
  }

  /**
   * Streams `GET <https_server><path>` into `destination` (a temp file the caller owns and
   * removes, also after a failure), hashing on the fly; a cut body is resumed with a Range
   * request. The caller compares `sha256` with what it expects.
   */
  async download(target: CollectionTarget, path: string, destination: string, options: DownloadOptions = {}): Promise<TransferResult> {
    const call = this.#describe('GET', target, path, `downloading ${path} from collection ${target.collectionId}`);
    const policy = retryPolicy(this.#retry === false ? { maxRetries: 0 } : this.#retry);
    const download = new ResumableDownload({
      destination,
      action: call.ctx.action!,
      where: `${call.url.origin}${call.url.pathname}`,
      policy,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.onChunk ? { onChunk: options.onChunk } : {}),
      ...(options.expectedSize !== undefined ? { expectedSize: options.expectedSize } : {}),
      get: (headers) => request({ ...this.#common(call, options.signal), headers, bulk: true }),
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
  async head(target: CollectionTarget, path: string, options: { signal?: AbortSignal } = {}): Promise<RemoteFileInfo | undefined> {
    const call = this.#describe('HEAD', target, path, `checking ${path} on collection ${target.collectionId}`);
    return this.#tokens.withToken(
      call.scope,
      async (token) => {
        const res = await request({ ...this.#common(call, options.signal), headers: { authorization: `Bearer ${token}` } });
        if (res.status === 404) {
          await res.dump();
          return undefined;
        }
        if (res.status < 200 || res.status >= 300) throw await answerError(res, call, token);
        await res.dump();
        const length = header(res.headers['content-length']);
        if (length === undefined || !/^\d+$/.test(length)) {
          throw new SregistryError('INVALID_RESPONSE', `${call.ctx.action} failed: the answer has no usable Content-Length`, { status: res.status });
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
        const res = await request({ ...this.#common(call, options.signal), headers: { authorization: `Bearer ${token}` } });
        if (res.status < 200 || res.status >= 300) throw await answerError(res, call, token);
        await res.dump();
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
      scope: target.dataAccess ? [collectionHttpsScope(target.collectionId), dataAccessScope(target.collectionId)] : collectionHttpsScope(target.collectionId),
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
    };
  }
}

async function fileSize(file: string): Promise<number> {
  try {
    const stats = await stat(file);
    if (!stats.isFile()) throw new SregistryError('LOCAL_IO', `${file} is not a regular file; give the path of an image file`);
    return stats.size;
  } catch (err) {
    if (err instanceof SregistryError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SregistryError('NOT_FOUND', `No file at ${file}; check the path`, { cause: err });
    throw new SregistryError('LOCAL_IO', `Cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
