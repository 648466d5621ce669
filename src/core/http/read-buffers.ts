/**
 * Socket read buffers that are used again once their bytes are gone, instead of a fresh
 * 64 KiB buffer for every read.
 *
 * Node's net socket allocates a new buffer for every read, and undici hands out body
 * chunks as views of it. A download of 1 GiB makes some 16,000 of them; they live in
 * external memory, which V8 collects only once 64 MB more of it piled up (a full GC: the
 * young generation hardly fills, since a read makes few JavaScript objects). That pile was
 * most of a pull's peak RSS.
 *
 * Here each connection reads through the socket's `onread` option into buffers of a small
 * pool, and pushes a view of the bytes read into the socket's readable side, where undici
 * reads them as it does any socket's. A buffer goes back to the pool only once every byte
 * of its read was handed out as body (`bodyDelivered`), which the exchange reports after
 * its sink copied the chunk. A read holding anything else (a status line, headers, chunk
 * framing, a tunnel's answer) or whose bytes were copied elsewhere (undici joins reads
 * queued while the connection was paused) never reaches that count and is left to the
 * garbage collector as before: undici keeps views of header bytes across reads, and those
 * must never be overwritten.
 */

/** The size of a read into a fresh buffer, as libuv suggests for a stream. */
const READ_SIZE = 64 * 1024;
/**
 * The size of a pooled buffer once a read filled a whole fresh one with body bytes (a bulk
 * body is coming): fewer, larger reads cost less per byte (measured: 64 KiB to 256 KiB
 * reads took the CPU of a bare 512 MiB exchange from 0.31 to 0.26 s). Answers that fit
 * in one read keep taking 64 KiB.
 */
const BULK_READ_SIZE = 256 * 1024;
/** Buffers kept for reuse; a bulk body needs two or three at a time. */
const POOL_MAX = 8;
/**
 * Reads smaller than this, unless the connection is in the middle of a body, are copied
 * out, and their buffer goes back to the pool at once: a small answer (its head and body
 * in one read) would otherwise take a fresh 64 KiB buffer for every request on a
 * keep-alive connection, which costs a full GC every thousand calls or so (measured: 1000
 * `ls` calls spent 0.9 s in the GC instead of 0.2 s). Within a body (the connection's last
 * read was all body) small reads stay in the pool's buffers: a slow link delivers a large
 * body in small reads, and copies of them would pile up as before.
 */
const COPY_BELOW = 16 * 1024;

interface ReadState {
  /** Bytes of the last read into this buffer; -1 while it waits in the pool or for a read. */
  filled: number;
  /** Of those, how many were handed out as body. */
  delivered: number;
  readonly buffer: Buffer;
  /** The connection the last read came from. */
  connection: ConnectionState | undefined;
  /** False for a copy: nothing to give back to the pool. */
  readonly pooled: boolean;
}

export interface ConnectionState {
  /** The connection's last read was handed out whole as body, and that body has not ended. */
  inBody: boolean;
}

const stateOf = new WeakMap<ArrayBufferLike, ReadState>();
const connections = new WeakMap<object, ConnectionState>();
const pool: ReadState[] = [];

function freshState(size: number): ReadState {
  const buffer = Buffer.allocUnsafeSlow(size);
  const state: ReadState = { filled: -1, delivered: 0, buffer, connection: undefined, pooled: true };
  stateOf.set(buffer.buffer, state);
  return state;
}

function nextBuffer(): Buffer {
  return (pool.pop() ?? freshState(READ_SIZE)).buffer;
}

function onRead(this: { push(chunk: Buffer): boolean }, nread: number, buffer: Buffer): boolean {
  const state = stateOf.get(buffer.buffer);
  let connection = connections.get(this);
  if (!connection) connections.set(this, (connection = { inBody: false }));
  if (state && nread < COPY_BELOW && !connection.inBody) {
    // A memory of its own (not a slice of Node's shared pool), so its delivery can be told apart.
    const copy = Buffer.allocUnsafeSlow(nread);
    buffer.copy(copy, 0, 0, nread);
    stateOf.set(copy.buffer, { filled: nread, delivered: 0, buffer: copy, connection, pooled: false });
    state.filled = -1;
    if (pool.length < POOL_MAX) pool.push(state);
    return this.push(copy);
  }
  connection.inBody = false;
  if (state) {
    state.filled = nread;
    state.delivered = 0;
    state.connection = connection;
  }
  return this.push(buffer.subarray(0, nread));
}

/**
 * The `onread` option for `net.connect`/`tls.connect` (through undici's connect options):
 * a buffer from the pool for every read, its bytes pushed into the socket's readable side.
 */
export const pooledReads = (): { buffer: () => Buffer; callback: (nread: number, buffer: Buffer) => boolean } => ({
  buffer: nextBuffer,
  callback: onRead as (nread: number, buffer: Buffer) => boolean,
});

/**
 * Reports a body chunk as handed out and copied: nothing keeps a view of it any more. The
 * read it came from goes back to the pool once all of its bytes were reported. Answers the
 * connection it came from, for `bodyEnded`.
 */
export function bodyDelivered(chunk: Uint8Array): ConnectionState | undefined {
  const state = stateOf.get(chunk.buffer);
  if (!state || state.filled < 0) return undefined;
  const connection = state.connection;
  state.delivered += chunk.byteLength;
  if (state.delivered < state.filled) return connection;
  if (connection) connection.inBody = true;
  if (!state.pooled) {
    state.filled = -1;
    return connection;
  }
  const bulk = state.filled === state.buffer.length && state.buffer.length < BULK_READ_SIZE;
  state.filled = -1;
  if (pool.length < POOL_MAX) pool.push(bulk ? freshState(BULK_READ_SIZE) : state);
  return connection;
}

/**
 * Reports that a body whose chunks came from `connection` ended: its next read starts
 * another answer (a head undici keeps views of), so a small one is copied out again.
 */
export function bodyEnded(connection: ConnectionState | undefined): void {
  if (connection) connection.inBody = false;
}
