import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { SregistryError } from '../errors.js';
import { networkFor, type Network, type ProxyInUse } from './agent.js';
import { streamedRequest, type SpeedFloor } from './streamed-exchange.js';
import { ERROR_BODY_LIMIT, readLimited } from './body.js';
import {
  errorFromAnswer,
  parseGlobusError,
  safeText,
  type ErrorContext,
  type GlobusErrorInfo,
} from './globus-error.js';
import {
  abortedError,
  decideRetry,
  isTimeoutCode,
  networkErrorCode,
  retryPolicy,
  waitToRetry,
  type RetryDecision,
  type RetryInfo,
  type RetryPolicy,
} from './retry.js';
import { assertSecureUrl, isLoopbackHost } from './secure-url.js';

/** A body that can be sent once. */
export type BodyData = string | Uint8Array | Readable | AsyncIterable<Uint8Array>;
/** Makes a fresh body for every attempt, so a streamed upload can be retried. */
export type BodyFactory = () => BodyData;

export type QueryValue = string | number | boolean | undefined;

/** One HTTP attempt that got an answer, as reported to `onCall`. Never carries headers or bodies. */
export interface ApiCall {
  method: string;
  /** The full URL with its query (Globus URLs carry no secrets there). */
  url: string;
  status: number;
  /** The Globus request id: from an error body's `request_id`, else an `x-request-id`-like header. */
  requestId?: string;
  /** Retries spent before this attempt. */
  retries: number;
  /** From sending to the answer's headers (error answers: to the end of their body), ms. */
  durationMs: number;
}

export interface RequestOptions {
  method?: string;
  url: string | URL;
  headers?: Record<string, string>;
  /** Added to the URL's query; undefined values are left out. */
  query?: Record<string, QueryValue>;
  /** Sent as `application/json`. */
  json?: unknown;
  /**
   * Raw body. A stream given directly is never retried once it started flowing; give a
   * factory to allow retries. An iterable's chunks may be reused by their producer once
   * the next but one is asked for (undici waits for the socket to drain a chunk first).
   */
  body?: BodyData | BodyFactory;
  /** Always honoured, also while waiting between attempts. */
  signal?: AbortSignal;
  /** Per attempt: longest wait for the answer's headers and between body chunks, ms. */
  timeoutMs?: number;
  /** Overrides of the retry policy; `false` sends once. */
  retry?: Partial<RetryPolicy> | false;
  /** Makes error messages specific (client id, what was being done). */
  errorContext?: ErrorContext;
  /** When false, an error answer is returned (body read up to 64 KiB) instead of thrown. Default true. */
  throwOnError?: boolean;
  /** Called once for every attempt that got an answer (not for attempts that failed without one). */
  onCall?: (call: ApiCall) => void;
  /** The dispatcher and proxies to go through; default: the environment's (networkFor()). */
  network?: Network;
  /** Most bytes the answer's body may have (the first byte beyond fails the attempt). */
  maxBodyBytes?: number;
  /** The floor rate of the answer's body (default DEFAULT_SPEED_FLOOR); `false` turns it off. */
  speedFloor?: SpeedFloor | false;
  /** `requestJson`: called with the server's clock (its HTTP `Date` header, ms) when the answer has one. */
  onServerTime?: (ms: number) => void;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as a stream; consume or `dump()` it so the connection is reused. */
  body: Readable;
  /** Retries spent before this answer. */
  retries: number;
  text(): Promise<string>;
  json<T = unknown>(): Promise<T>;
  /** Discards the body. */
  dump(): Promise<void>;
}

export const DEFAULT_TIMEOUT_MS = 60_000;
/** Most bytes of a JSON answer `requestJson` reads. */
export const JSON_BODY_LIMIT = 64 * 1024 * 1024;

interface Prepared {
  method: string;
  url: URL;
  headers: Record<string, string>;
  makeBody: () => { body: BodyData | undefined; started: () => boolean };
  replayable: boolean;
  policy: RetryPolicy;
  ctx: ErrorContext;
  network: Network;
  /** The proxy this request goes through, if any. */
  proxy: ProxyInUse | undefined;
}

/** Sends one request with the retry policy; throws SregistryError for failures (unless `throwOnError: false`). */
export async function request(opts: RequestOptions): Promise<HttpResponse> {
  return send(opts, async (res, retries) => wrapResponse(res.statusCode, res.headers, res.body, retries));
}

/** Sends a request and parses a JSON answer (retrying resets while reading it, too). */
export async function requestJson<T = unknown>(opts: RequestOptions): Promise<T> {
  const headers = { accept: 'application/json', ...opts.headers };
  return send({ ...opts, headers, throwOnError: true }, async (res) => {
    if (opts.onServerTime) {
      const date = res.headers.date;
      const ms = Date.parse(Array.isArray(date) ? (date[0] ?? '') : (date ?? ''));
      if (!Number.isNaN(ms)) opts.onServerTime(ms);
    }
    const { bytes, truncated } = await readLimited(res.body, JSON_BODY_LIMIT);
    if (truncated)
      throw new SregistryError(
        'INVALID_RESPONSE',
        `The answer of ${describe(opts)} exceeds ${JSON_BODY_LIMIT} bytes; refusing to read it`,
      );
    if (bytes.length === 0) return undefined as T;
    try {
      return JSON.parse(bytes.toString('utf8')) as T;
    } catch (err) {
      throw new SregistryError(
        'INVALID_RESPONSE',
        `The answer of ${describe(opts)} is not valid JSON (HTTP ${res.statusCode}); check the service URL`,
        { status: res.statusCode, cause: err },
      );
    }
  });
}

const describe = (opts: RequestOptions): string => {
  const url = typeof opts.url === 'string' ? safeUrl(opts.url) : `${opts.url.origin}${opts.url.pathname}`;
  return `${(opts.method ?? 'GET').toUpperCase()} ${url}`;
};

function safeUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

function prepare(opts: RequestOptions): Prepared {
  const url = assertSecureUrl(opts.url);
  for (const [key, value] of Object.entries(opts.query ?? {})) {
    if (value !== undefined) url.searchParams.set(key, String(value));
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
  const secrets = [...(opts.errorContext?.secrets ?? [])];
  const auth = headers.authorization;
  if (auth) secrets.push(auth, auth.replace(/^\S+\s+/, ''));
  const network = opts.network ?? networkFor();
  const proxy = network.proxyFor(url);
  if (proxy) secrets.push(...proxy.secrets);
  const ctx: ErrorContext = { ...opts.errorContext, secrets };
  const policy = opts.retry === false ? retryPolicy({ maxRetries: 0 }) : retryPolicy(opts.retry);

  let makeBody: Prepared['makeBody'];
  let replayable = true;
  if (opts.json !== undefined) {
    const text = JSON.stringify(opts.json);
    headers['content-type'] ??= 'application/json';
    makeBody = () => ({ body: text, started: () => false });
  } else if (typeof opts.body === 'function') {
    const factory = opts.body;
    makeBody = () => trackStart(factory());
  } else if (opts.body === undefined || typeof opts.body === 'string' || opts.body instanceof Uint8Array) {
    const fixed = opts.body;
    makeBody = () => ({ body: fixed, started: () => false });
  } else {
    // A one-shot stream: replayable only while nothing was pulled from it.
    const stream = opts.body;
    replayable = false;
    makeBody = () => trackStart(stream);
  }
  return {
    method: (opts.method ?? 'GET').toUpperCase(),
    url,
    headers,
    makeBody,
    replayable,
    policy,
    ctx,
    network,
    proxy,
  };
}

function trackStart(source: BodyData): { body: BodyData; started: () => boolean } {
  if (typeof source === 'string' || source instanceof Uint8Array) return { body: source, started: () => false };
  let started = false;
  async function* pull(): AsyncGenerator<Uint8Array> {
    started = true;
    for await (const chunk of source as AsyncIterable<Uint8Array | string>)
      yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
  }
  return { body: pull(), started: () => started };
}

type Consume<T> = (res: Dispatcher.ResponseData, retries: number) => Promise<T>;

async function send<T>(opts: RequestOptions, consume: Consume<T>): Promise<T> {
  const p = prepare(opts);
  const signal = opts.signal;
  const timeout = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const throwOnError = opts.throwOnError ?? true;
  const where = `${p.url.origin}${p.url.pathname}`;

  for (let retries = 0; ; retries++) {
    if (signal?.aborted) throw abortedError(`${p.method} ${where}`);
    const attemptBody = p.makeBody();
    const startedAt = performance.now();
    let res: Dispatcher.ResponseData;
    try {
      const settings = {
        method: p.method,
        headers: p.headers,
        body: attemptBody.body as never,
        signal,
        headersTimeout: timeout,
        bodyTimeout: timeout,
      };
      // Every answer comes through one handler: the floor rate and the body bound apply to API answers too.
      res = (await streamedRequest(
        p.url,
        { ...settings, maxBodyBytes: opts.maxBodyBytes, speedFloor: opts.speedFloor },
        p.network.dispatcher,
      )) as unknown as Dispatcher.ResponseData;
    } catch (err) {
      await failedAttempt(err, retries, attemptBody.started());
      continue;
    }

    const status = res.statusCode;
    if (status < 300) {
      report(status, retries, startedAt, headerRequestId(res.headers));
      try {
        return await consume(res, retries);
      } catch (err) {
        if (err instanceof SregistryError) throw err;
        await failedAttempt(err, retries, attemptBody.started());
        continue;
      }
    }

    let info: GlobusErrorInfo;
    let bytes: Buffer;
    try {
      const read = await readLimited(res.body, ERROR_BODY_LIMIT);
      bytes = read.bytes;
      info = parseGlobusError(read.bytes, headerValue(res.headers['content-type']), read.truncated);
    } catch (err) {
      report(status, retries, startedAt, headerRequestId(res.headers));
      await failedAttempt(err, retries, attemptBody.started());
      continue;
    }
    report(status, retries, startedAt, info.requestId ?? headerRequestId(res.headers));

    const outcome = {
      kind: 'answer',
      status,
      globusCode: info.globusCode,
      retryAfter: res.headers['retry-after'],
    } as const;
    const decision = decideRetry(p.policy, { retries, outcome, replayable: p.replayable || !attemptBody.started() });
    if (decision.retry) {
      await pause(retries, decision, { status, ...(info.globusCode ? { globusCode: info.globusCode } : {}) });
      continue;
    }
    if (status === 407 && p.proxy)
      throw proxyError(
        p,
        'asked for credentials (HTTP 407): the user and password of the proxy URL are missing or wrong',
      );
    if (!throwOnError) return consume({ ...res, body: Readable.from([bytes]) as never }, retries);
    throw errorFromAnswer({ status, method: p.method, url: p.url, info, retries }, p.ctx);
  }

  function report(status: number, retries: number, startedAt: number, requestId: string | undefined): void {
    if (!opts.onCall) return;
    const call: ApiCall = {
      method: p.method,
      url: withoutCredentials(p.url),
      status,
      ...(requestId ? { requestId } : {}),
      retries,
      durationMs: Math.round(performance.now() - startedAt),
    };
    try {
      opts.onCall(call);
    } catch {
      // An observer (a progress printer) must not change the outcome of the request.
    }
  }

  async function failedAttempt(err: unknown, retries: number, bodyStarted: boolean): Promise<void> {
    if (signal?.aborted) throw abortedError(`${p.method} ${where}`);
    const code = networkErrorCode(err);
    const proxyFault = p.proxy ? proxyFailure(err, p.proxy) : undefined;
    const decision = decideRetry(p.policy, {
      retries,
      outcome: { kind: 'network', code, proxy: proxyFault },
      replayable: p.replayable || !bodyStarted,
    });
    if (decision.retry) {
      await pause(retries, decision, code ? { errorCode: code } : {});
      return;
    }
    if (decision.why === 'proxy') throw proxyError(p, proxyFault!.why, err);
    if (decision.why === 'refused') throw refusedError(p, retries, err);
    const detail = safeText(err instanceof Error ? err.message : String(err), p.ctx.secrets, 160).replace(
      /^Error: /,
      '',
    );
    const retried = retries > 0 ? ` after ${retries} ${retries === 1 ? 'retry' : 'retries'}` : '';
    const what = p.ctx.action ?? `${p.method} ${where}`;
    if (isTimeoutCode(code)) {
      throw new SregistryError(
        'TIMEOUT',
        `${what} timed out${retried} (${code}: ${detail}); check the network or raise the timeout`,
        { cause: err },
      );
    }
    if (code === undefined && !(err instanceof Error)) throw err;
    if (code === 'UND_ERR_INVALID_ARG')
      throw new SregistryError('INVALID_INPUT', `${what} could not be sent (${detail})`, { cause: err });
    const unreplayable = decision.why === 'unreplayable' ? '; the streamed body cannot be resent' : '';
    throw new SregistryError(
      'NETWORK',
      `${what} failed${retried} (${code ?? 'network error'}: ${detail})${unreplayable}; check the service URL and the network`,
      { cause: err },
    );
  }

  async function pause(
    retries: number,
    decision: Extract<RetryDecision, { retry: true }>,
    cause: Pick<RetryInfo, 'status' | 'globusCode' | 'errorCode'>,
  ): Promise<void> {
    try {
      await waitToRetry(p.policy, decision, { retry: retries + 1, method: p.method, url: where, ...cause }, signal);
    } catch (err) {
      if (signal?.aborted) throw abortedError(`${p.method} ${where}`);
      throw err;
    }
    if (signal?.aborted) throw abortedError(`${p.method} ${where}`);
  }
}

const headerValue = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** Whether a failed attempt is the proxy's doing, and whether retrying could help. */
function proxyFailure(err: unknown, proxy: ProxyInUse): { why: string; final: boolean } | undefined {
  const [host, port] = [
    proxy.hostPort.slice(0, proxy.hostPort.lastIndexOf(':')),
    Number(proxy.hostPort.slice(proxy.hostPort.lastIndexOf(':') + 1)),
  ];
  for (
    let e: unknown = err, depth = 0;
    depth < 5 && e && typeof e === 'object';
    depth++, e = (e as { cause?: unknown }).cause
  ) {
    const {
      code,
      address,
      port: errPort,
      hostname,
      message,
    } = e as { code?: string; address?: string; port?: number; hostname?: string; message?: string };
    // undici's words for a proxy's refusal: of a CONNECT, or of an absolute-form request.
    const status = /Proxy[^()]*\((\d{3})\)/.exec(message ?? '');
    if (status)
      return {
        why:
          status[1] === '407'
            ? 'asked for credentials (HTTP 407): the user and password of the proxy URL are missing or wrong'
            : `refused the request (HTTP ${status[1]})`,
        final: true,
      };
    if (code === 'UND_ERR_PRX_CONN' || code === 'UND_ERR_PRX_TLS')
      return { why: `closed the connection while opening a tunnel (${code})`, final: true };
    const atProxy =
      (errPort === port && address !== undefined) ||
      (hostname !== undefined && hostname.toLowerCase() === host.toLowerCase());
    if (!atProxy) continue;
    if (code === 'ECONNREFUSED') return { why: 'refused the connection (ECONNREFUSED)', final: true };
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
      return { why: `cannot be found (${code})`, final: code === 'ENOTFOUND' };
    if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return { why: `cannot be reached (${code})`, final: false };
  }
  if (networkErrorCode(err) === 'UND_ERR_CONNECT_TIMEOUT')
    return { why: 'did not accept a connection in time (UND_ERR_CONNECT_TIMEOUT)', final: false };
  return undefined;
}

function proxyError(p: Prepared, why: string, cause?: unknown): SregistryError {
  const proxy = p.proxy!;
  const what = p.ctx.action ?? `${p.method} ${p.url.origin}${p.url.pathname}`;
  return new SregistryError(
    'PROXY',
    `${what} failed: the proxy ${proxy.hostPort} (from ${proxy.source}) ${why}; check ${proxy.source === 'the proxy setting' ? 'the proxy setting' : `${proxy.source} and NO_PROXY`}`,
    cause === undefined ? {} : { cause },
  );
}

/** Connection refused by the service itself: name the setting that points there. */
function refusedError(p: Prepared, retries: number, cause: unknown): SregistryError {
  const what = p.ctx.action ?? `${p.method} ${p.url.origin}${p.url.pathname}`;
  const retried = retries > 0 ? ` after ${retries} ${retries === 1 ? 'retry' : 'retries'}` : '';
  const setting = p.ctx.serviceSetting ? `; check ${p.ctx.serviceSetting}` : '; check the service URL';
  const sandbox = isLoopbackHost(p.url.hostname)
    ? ' (a local sandbox may not be running: each start picks a new port, so use the URLs it printed)'
    : '';
  return new SregistryError(
    'NETWORK',
    `${what} failed${retried}: nothing accepts connections at ${p.url.host} (ECONNREFUSED)${setting}${sandbox}`,
    { cause },
  );
}

function withoutCredentials(url: URL): string {
  if (!url.username && !url.password) return url.href;
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy.href;
}

const REQUEST_ID_HEADERS = ['x-request-id', 'request-id', 'x-amzn-requestid', 'x-correlation-id'];

/** A request id some proxies and services put in a header. */
function headerRequestId(headers: Record<string, string | string[] | undefined>): string | undefined {
  for (const name of REQUEST_ID_HEADERS) {
    const value = headerValue(headers[name])?.trim();
    if (value) return value.slice(0, 128);
  }
  return undefined;
}

function wrapResponse(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: Readable,
  retries: number,
): HttpResponse {
  const readAll = async (): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks);
  };
  return {
    status,
    headers,
    body,
    retries,
    text: async () => (await readAll()).toString('utf8'),
    json: async <T>() => {
      const text = (await readAll()).toString('utf8');
      try {
        return JSON.parse(text) as T;
      } catch (err) {
        throw new SregistryError(
          'INVALID_RESPONSE',
          `The answer (HTTP ${status}) is not valid JSON; check the service URL`,
          { status, cause: err },
        );
      }
    },
    dump: async () => {
      for await (const _ of body) void _;
    },
  };
}
