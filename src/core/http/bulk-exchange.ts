/**
 * One HTTP/1.1 exchange on a connection of its own, for moving a large file body.
 *
 * The shared undici pool allocates a fresh buffer for every read off the socket and copies
 * each body chunk through its parser; for a gigabyte that churn costs more CPU than the
 * SHA-256 of the same bytes. Here the socket reads into one reused buffer (`onread`), the
 * body is handed out as views of it, and request bodies are written as the caller's own
 * (large, reused) chunks. The connection closes after the answer: a bulk body needs one
 * connection per file, so pooling would save nothing.
 */
import net from 'node:net';
import { Readable } from 'node:stream';
import tls from 'node:tls';

/** Bytes read off the socket at a time. */
const READ_BUFFER = 256 * 1024;
/** Read buffers of finished exchanges, kept for the next ones: a manifest read needs no fresh 256 KiB. */
const spareReadBuffers: Buffer[] = [];
const SPARE_READ_BUFFERS = 4;
/** Most bytes of a status line and headers. */
const HEAD_LIMIT = 64 * 1024;

export interface BulkRequestOptions {
  method: string;
  headers: Record<string, string>;
  /**
   * The request body. An iterable's chunks may be reused by their producer once the next
   * but one is asked for: the exchange has finished with a chunk before it asks for the
   * chunk after the next.
   */
  body?: string | Uint8Array | AsyncIterable<Uint8Array> | undefined;
  signal?: AbortSignal | undefined;
  /** Longest wait for the answer's head, ms. */
  headersTimeout: number;
  /** Longest pause of the socket while the body comes, ms. */
  bodyTimeout: number;
}

export interface BulkResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: BulkBody;
}

/** A receiver of body bytes: `view` is valid only during the call; a returned promise pauses reading until it settles. */
export type BodySink = (view: Buffer) => void | Promise<void>;

const coded = (message: string, code: string): Error => Object.assign(new Error(message), { code });

/**
 * The answer's body. Read it as a stream (each chunk a copy: fine for error bodies) or,
 * without copies, with `consume`. Destroying it closes the connection.
 */
export class BulkBody extends Readable {
  #sink: BodySink | undefined;
  #attach: ((mode: 'stream' | 'sink') => void) | undefined;
  #ended: Promise<void>;
  #settle!: { resolve: () => void; reject: (err: Error) => void };
  #onDestroy: (err: Error | null) => void;

  constructor(onDestroy: (err: Error | null) => void) {
    super({ highWaterMark: READ_BUFFER });
    this.#onDestroy = onDestroy;
    this.#ended = new Promise((resolve, reject) => (this.#settle = { resolve, reject }));
    this.#ended.catch(() => undefined);
  }

  /** Feeds every remaining byte to `sink` (no copies); resolves at the body's end. */
  consume(sink: BodySink): Promise<void> {
    this.#sink = sink;
    this.#attach?.('sink');
    return this.#ended;
  }

  override _read(): void {
    this.#attach?.('stream');
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#onDestroy(err);
    this.#settle.reject(err ?? coded('The body was destroyed before its end', 'UND_ERR_ABORTED'));
    callback(err);
  }

  /** @internal */ get sink(): BodySink | undefined {
    return this.#sink;
  }
  /** @internal */ set attachment(fn: (mode: 'stream' | 'sink') => void) {
    this.#attach = fn;
  }
  /** @internal */ finish(): void {
    this.#settle.resolve();
    if (!this.#sink) this.push(null);
  }
  /** @internal */ fail(err: Error): void {
    this.#settle.reject(err);
    if (!this.#sink) this.destroy(err);
  }
}

interface Head {
  status: number;
  headers: Record<string, string | string[] | undefined>;
}

/** Sends one request and resolves once the answer's head is in. */
export function bulkRequest(url: URL, opts: BulkRequestOptions): Promise<BulkResponse> {
  return new Promise<BulkResponse>((resolve, reject) => {
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const readBuffer = spareReadBuffers.pop() ?? Buffer.allocUnsafe(READ_BUFFER);
    let headBytes = Buffer.alloc(0);
    let head: Head | undefined;
    let body: BulkBody | undefined;
    let framing: BodyFraming | undefined;
    let mode: 'stream' | 'sink' | undefined;
    let held: Buffer | undefined;
    let settled = false;
    let done = false;

    const onread = {
      buffer: readBuffer,
      callback: (nread: number, buf: Uint8Array): boolean => {
        const view = Buffer.from(buf.buffer, buf.byteOffset, nread);
        try {
          return head ? deliver(view) : readHead(view);
        } catch (err) {
          abandon(err as Error);
          return false;
        }
      },
    };
    const socket: net.Socket =
      url.protocol === 'https:'
        ? tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ALPNProtocols: ['http/1.1'], onread } as tls.ConnectionOptions)
        : net.connect({ host, port, onread });
    socket.setNoDelay(true);
    socket.setTimeout(opts.headersTimeout, () =>
      abandon(head ? coded(`The body paused for more than ${opts.bodyTimeout} ms`, 'UND_ERR_BODY_TIMEOUT') : coded(`No answer within ${opts.headersTimeout} ms`, 'UND_ERR_HEADERS_TIMEOUT')),
    );
    socket.on('error', (err) => abandon(err));
    socket.on('end', () => {
      if (!done) abandon(framing?.untilClose ? undefined : coded(head ? 'The connection closed before the whole body arrived' : 'The connection closed before an answer', 'UND_ERR_SOCKET'));
    });
    socket.on('close', () => {
      if (!done) abandon(coded('The connection closed', 'UND_ERR_SOCKET'));
      // No read lands in it after close, and every body view handed out was used synchronously.
      if (spareReadBuffers.length < SPARE_READ_BUFFERS) spareReadBuffers.push(readBuffer);
    });

    const onAbort = (): void => abandon(Object.assign(new Error('The request was aborted'), { name: 'AbortError', code: 'UND_ERR_ABORTED' }));
    if (opts.signal?.aborted) {
      queueMicrotask(onAbort);
    } else {
      opts.signal?.addEventListener('abort', onAbort, { once: true });
    }

    const connectEvent = url.protocol === 'https:' ? 'secureConnect' : 'connect';
    socket.once(connectEvent, () => {
      sendRequest(socket, url, opts, () => head !== undefined || done).catch((err: unknown) => {
        // An answer that came before the whole body (401, 409...) is what counts, not the broken write.
        if (!head) abandon(err as Error);
      });
    });

    /** Ends the exchange with `err` (or, with none, as a body that ran to the connection's end). */
    function abandon(err: Error | undefined): void {
      if (done) return;
      done = true;
      opts.signal?.removeEventListener('abort', onAbort);
      if (err === undefined) {
        body?.finish();
      } else if (!settled) {
        settled = true;
        reject(err);
      } else {
        body?.fail(err);
      }
      socket.destroy();
    }

    function complete(): void {
      if (done) return;
      done = true;
      opts.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      body?.finish();
    }

    function readHead(view: Buffer): boolean {
      headBytes = headBytes.length === 0 ? Buffer.from(view) : Buffer.concat([headBytes, view]);
      const end = headBytes.indexOf('\r\n\r\n');
      if (end < 0) {
        if (headBytes.length > HEAD_LIMIT) throw coded(`The answer's head exceeds ${HEAD_LIMIT} bytes`, 'UND_ERR_HEADERS_OVERFLOW');
        return true;
      }
      const parsed = parseHead(headBytes.subarray(0, end).toString('latin1'));
      const rest = headBytes.subarray(end + 4);
      headBytes = Buffer.alloc(0);
      if (parsed.status >= 100 && parsed.status < 200) {
        // An interim answer (100 Continue): the real one follows.
        return rest.length > 0 ? readHead(rest) : true;
      }
      head = parsed;
      framing = bodyFraming(opts.method, parsed);
      socket.setTimeout(opts.bodyTimeout);
      body = new BulkBody((err) => {
        if (!done) abandon(err ?? coded('The body was destroyed before its end', 'UND_ERR_ABORTED'));
      });
      body.attachment = (m) => {
        if (mode === undefined) mode = m;
        const pending = held;
        held = undefined;
        if (pending && pending.length > 0) {
          try {
            if (!deliver(pending)) return;
          } catch (err) {
            abandon(err as Error);
            return;
          }
        }
        if (!done) socket.resume();
      };
      settled = true;
      resolve({ statusCode: parsed.status, headers: parsed.headers, body });
      if (framing.remaining === 0 && !framing.chunked) {
        complete();
        return false;
      }
      // Nobody reads yet: keep what came with the head and wait for a reader.
      held = Buffer.from(rest);
      return false;
    }

    /** Hands body bytes on; answers whether to keep reading. */
    function deliver(view: Buffer): boolean {
      if (mode === undefined) {
        held = held ? Buffer.concat([held, view]) : Buffer.from(view);
        return false;
      }
      let keepReading = true;
      const pieces = framing!.chunked ? framing!.decoder!.take(view) : [trimToLength(view)];
      for (const piece of pieces) {
        if (piece.length === 0) continue;
        if (mode === 'sink') {
          const pending = body!.sink!(piece);
          if (pending) {
            keepReading = false;
            pending.then(
              () => {
                if (!done) socket.resume();
                else if (finished()) body?.finish();
              },
              (err: unknown) => {
                if (done) body?.fail(err as Error);
                else abandon(err as Error);
              },
            );
          }
        } else if (!body!.push(Buffer.from(piece))) {
          keepReading = false;
        }
      }
      if (finished()) {
        if (keepReading) complete();
        else {
          // The last write is still going: close the connection, end the body when it lands.
          done = true;
          opts.signal?.removeEventListener('abort', onAbort);
          socket.destroy();
          if (mode === 'stream') body!.finish();
        }
        return false;
      }
      return keepReading;
    }

    function trimToLength(view: Buffer): Buffer {
      const f = framing!;
      if (f.remaining === undefined) return view;
      const piece = view.length > f.remaining ? view.subarray(0, f.remaining) : view;
      f.remaining -= piece.length;
      return piece;
    }

    function finished(): boolean {
      const f = framing!;
      return f.chunked ? f.decoder!.ended : f.remaining === 0;
    }
  });
}

interface BodyFraming {
  /** Bytes still to come when the length is known. */
  remaining: number | undefined;
  chunked: boolean;
  decoder?: ChunkedDecoder;
  /** No length and not chunked: the body ends with the connection. */
  untilClose: boolean;
}

function bodyFraming(method: string, head: Head): BodyFraming {
  if (method === 'HEAD' || head.status === 204 || head.status === 304) return { remaining: 0, chunked: false, untilClose: false };
  const te = String(head.headers['transfer-encoding'] ?? '').toLowerCase();
  if (te.split(',').map((s) => s.trim()).includes('chunked')) return { remaining: undefined, chunked: true, decoder: new ChunkedDecoder(), untilClose: false };
  const length = head.headers['content-length'];
  const value = Array.isArray(length) ? length[0] : length;
  if (value !== undefined) {
    if (!/^\d+$/.test(value.trim())) throw coded(`Invalid Content-Length ${JSON.stringify(value)}`, 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH');
    return { remaining: Number(value), chunked: false, untilClose: false };
  }
  return { remaining: undefined, chunked: false, untilClose: true };
}

function parseHead(text: string): Head {
  const lines = text.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
  if (!status) throw coded('The answer does not start with an HTTP/1.1 status line', 'HPE_INVALID_CONSTANT');
  const headers: Record<string, string | string[] | undefined> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw coded(`Malformed header line ${JSON.stringify(line.slice(0, 80))}`, 'HPE_INVALID_HEADER_TOKEN');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const before = headers[name];
    headers[name] = before === undefined ? value : Array.isArray(before) ? [...before, value] : [before, value];
  }
  return { status: Number(status[1]), headers };
}

/** Undoes `Transfer-Encoding: chunked`; pieces are views of the input. */
class ChunkedDecoder {
  ended = false;
  #remaining = 0;
  #state: 'size' | 'data' | 'data-end' | 'trailer' = 'size';
  #line = '';

  take(view: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let i = 0;
    while (i < view.length && !this.ended) {
      if (this.#state === 'data') {
        const n = Math.min(this.#remaining, view.length - i);
        out.push(view.subarray(i, i + n));
        i += n;
        this.#remaining -= n;
        if (this.#remaining === 0) this.#state = 'data-end';
        continue;
      }
      const nl = view.indexOf(10, i);
      const stop = nl < 0 ? view.length : nl + 1;
      this.#line += view.subarray(i, stop).toString('latin1');
      i = stop;
      if (this.#line.length > 4096) throw coded('A chunk header is too long', 'HPE_INVALID_CHUNK_SIZE');
      if (nl < 0) continue;
      const line = this.#line.replace(/\r?\n$/, '');
      this.#line = '';
      if (this.#state === 'data-end') {
        if (line !== '') throw coded('A chunk does not end with CRLF', 'HPE_INVALID_CHUNK_SIZE');
        this.#state = 'size';
      } else if (this.#state === 'size') {
        const size = /^([0-9a-fA-F]+)(;.*)?$/.exec(line.trim());
        if (!size) throw coded(`Invalid chunk size ${JSON.stringify(line.slice(0, 40))}`, 'HPE_INVALID_CHUNK_SIZE');
        this.#remaining = parseInt(size[1]!, 16);
        this.#state = this.#remaining === 0 ? 'trailer' : 'data';
      } else if (line === '') {
        this.ended = true;
      }
    }
    return out;
  }
}

/** Writes the head and the body, chunked when its length is unknown; waits for each write before reusing its chunk. */
async function sendRequest(socket: net.Socket, url: URL, opts: BulkRequestOptions, answered: () => boolean): Promise<void> {
  const headers: Record<string, string> = { host: url.host, ...opts.headers, connection: 'close' };
  const body = opts.body;
  const fixed = typeof body === 'string' ? Buffer.from(body) : body instanceof Uint8Array ? body : undefined;
  if (fixed) headers['content-length'] = String(fixed.length);
  const chunked = body !== undefined && !fixed && headers['content-length'] === undefined;
  if (chunked) headers['transfer-encoding'] = 'chunked';
  let text = `${opts.method} ${url.pathname}${url.search} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw coded(`Header ${name} holds a line break`, 'UND_ERR_INVALID_ARG');
    text += `${name}: ${value}\r\n`;
  }
  const write = (data: string | Uint8Array): Promise<void> =>
    new Promise((resolve, reject) => {
      socket.write(data, (err) => (err ? reject(err) : resolve()));
    });
  await write(`${text}\r\n`);
  if (body === undefined) return;
  if (fixed) {
    await write(fixed);
    return;
  }
  let inFlight: Promise<void> | undefined;
  const iterator = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await iterator.next();
      if (inFlight) await inFlight;
      if (next.done) break;
      if (answered() || socket.destroyed) return;
      const chunk = next.value;
      if (chunk.length === 0) continue;
      if (chunked) {
        void write(`${chunk.length.toString(16)}\r\n`).catch(() => undefined);
        inFlight = write(chunk).then(() => write('\r\n'));
      } else {
        inFlight = write(chunk);
      }
    }
    if (chunked && !answered()) await write('0\r\n\r\n');
  } finally {
    if (answered() || socket.destroyed) await iterator.return?.().catch(() => undefined);
  }
}
