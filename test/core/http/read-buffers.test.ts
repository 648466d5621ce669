/**
 * Socket reads land in pooled buffers that are used again once their bytes were handed
 * out as body: the bytes must arrive exact whatever the pauses, over plain TCP and TLS,
 * and headers that come one byte per read (kept by undici as views across reads) must
 * never be overwritten by a later read.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { Agent } from 'undici';
import { closeHttp, networkFor } from '../../../src/core/http/agent.js';
import { pooledReads } from '../../../src/core/http/read-buffers.js';
import { streamedRequest } from '../../../src/core/http/streamed-exchange.js';

const MiB = 1024 * 1024;
const SIZE = 48 * MiB;
/** A block of an odd length, so reads and pieces never line up with it. */
const BLOCK = randomBytes(MiB + 4099);
const sha256 = (size: number): string => {
  const h = createHash('sha256');
  for (let at = 0; at < size; at += BLOCK.length) h.update(BLOCK.subarray(0, Math.min(BLOCK.length, size - at)));
  return h.digest('hex');
};
const EXPECTED = sha256(SIZE);

/** Writes `size` bytes of the pattern in pieces of varying size, honouring backpressure. */
function sendPattern(
  res: { write(b: Buffer): boolean; once(e: 'drain', f: () => void): unknown; end(): void },
  size: number,
): void {
  let at = 0;
  let turn = 0;
  const more = (): void => {
    while (at < size) {
      const piece = [1000, 70_000, 300_000, 17][turn++ % 4]!;
      const start = at % BLOCK.length;
      const n = Math.min(piece, size - at, BLOCK.length - start);
      at += n;
      if (!res.write(BLOCK.subarray(start, start + n))) {
        res.once('drain', more);
        return;
      }
    }
    res.end();
  };
  more();
}

/** Hashes the body; pauses the connection every few MiB; counts the chunks and the memory they came in. */
async function readAll(
  url: URL,
  dispatcher: Parameters<typeof streamedRequest>[2],
): Promise<{ hex: string; bytes: number; chunks: number; memories: number; headers: Record<string, unknown> }> {
  const res = await streamedRequest(
    url,
    { method: 'GET', headers: {}, headersTimeout: 20_000, bodyTimeout: 20_000 },
    dispatcher,
  );
  expect(res.statusCode).toBe(200);
  const hash = createHash('sha256');
  const memories = new Set<ArrayBufferLike>();
  let bytes = 0;
  let chunks = 0;
  await res.body.consume((chunk) => {
    hash.update(chunk);
    memories.add(chunk.buffer);
    chunks++;
    const before = bytes;
    bytes += chunk.length;
    if (Math.floor(before / (3 * MiB)) !== Math.floor(bytes / (3 * MiB))) return new Promise((r) => setTimeout(r, 5));
    return undefined;
  });
  return { hex: hash.digest('hex'), bytes, chunks, memories: memories.size, headers: res.headers };
}

const listen = async (server: Server | TlsServer | NetServer): Promise<number> => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
};

describe('pooled socket reads', () => {
  const network = networkFor({ httpProxy: '', httpsProxy: '', noProxy: '' });
  let plain: Server;
  let tls: TlsServer;
  let dripper: NetServer;
  let small: Server;
  let smallPort = 0;
  /** As `small`, the head sent at once and the body a moment later (separate reads on the client). */
  let flushed: Server;
  let flushedPort = 0;
  const TRICKLE_SIZE = MiB;
  /** Writes the pattern 4 KiB at a time, each after the client had time to read the last. */
  const trickle = { server: undefined as unknown as Server, port: 0 };
  const dripped = new Set<Socket>();
  let plainPort = 0;
  let tlsPort = 0;
  let dripPort = 0;
  const headerValues = Array.from({ length: 24 }, (_, i) => `value-${i}-${randomBytes(6).toString('hex')}`);

  beforeAll(async () => {
    plain = createServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(SIZE) });
      sendPattern(res, SIZE);
    });
    tls = createTlsServer(
      {
        key: readFileSync('test/fixtures/tls/localhost-key.pem'),
        cert: readFileSync('test/fixtures/tls/localhost-cert.pem'),
      },
      (_req, res) => {
        res.writeHead(200, { 'content-length': String(SIZE) });
        sendPattern(res, SIZE);
      },
    );
    // The head one byte per write (each its own read on the client), then a body in large writes.
    dripper = createNetServer((socket) => {
      dripped.add(socket);
      socket.setNoDelay(true);
      socket.once('data', async () => {
        const head = `HTTP/1.1 200 OK\r\n${headerValues.map((v, i) => `x-check-${i}: ${v}\r\n`).join('')}content-length: ${8 * MiB}\r\nconnection: close\r\n\r\n`;
        for (const byte of Buffer.from(head)) {
          if (socket.destroyed) return;
          socket.write(Buffer.of(byte));
          await new Promise((r) => setTimeout(r, 1));
        }
        sendPattern(socket, 8 * MiB);
      });
    });
    small = createServer((req, res) => {
      const n = req.url!.slice('/n/'.length);
      res.writeHead(200, { 'x-n': n });
      res.end(`answer ${n} `.repeat(40));
    });
    flushed = createServer((req, res) => {
      const n = req.url!.slice('/n/'.length);
      const body = `answer ${n} `.repeat(40);
      res.writeHead(200, { 'x-n': n, 'content-length': String(body.length) });
      res.flushHeaders();
      setTimeout(() => res.end(body), 2);
    });
    trickle.server = createServer(async (_req, res) => {
      res.writeHead(200, { 'content-length': String(TRICKLE_SIZE) });
      for (let at = 0; at < TRICKLE_SIZE && !res.destroyed;) {
        const start = at % BLOCK.length;
        const piece = BLOCK.subarray(start, start + Math.min(4096, BLOCK.length - start, TRICKLE_SIZE - at));
        res.write(piece);
        at += piece.length;
        await new Promise((r) => setTimeout(r, 1));
      }
      res.end();
    });
    [plainPort, tlsPort, dripPort, smallPort, trickle.port, flushedPort] = await Promise.all([
      listen(plain),
      listen(tls),
      listen(dripper),
      listen(small),
      listen(trickle.server),
      listen(flushed),
    ]);
  });

  afterAll(async () => {
    await closeHttp();
    plain.closeAllConnections();
    tls.closeAllConnections();
    small.closeAllConnections();
    flushed.closeAllConnections();
    trickle.server.closeAllConnections();
    for (const s of dripped) s.destroy();
    await Promise.all([plain, tls, dripper, small, flushed, trickle.server].map((s) => new Promise((r) => s.close(r))));
  });

  it('a body arrives exact through pauses, in a few reused buffers instead of one per read', async () => {
    for (let round = 0; round < 2; round++) {
      const got = await readAll(new URL(`http://127.0.0.1:${plainPort}/f`), network.dispatcher);
      expect(got.bytes).toBe(SIZE);
      expect(got.hex).toBe(EXPECTED);
      // One fresh buffer per read would make memories equal chunks (some 200 reads of up to 256 KiB).
      expect(got.chunks).toBeGreaterThan(100);
      expect(got.memories).toBeLessThan(got.chunks / 4);
    }
  });

  it('over TLS the same', async () => {
    const agent = new Agent({
      connect: { ca: readFileSync('test/fixtures/tls/localhost-cert.pem'), onread: pooledReads() } as never,
    });
    try {
      const got = await readAll(new URL(`https://localhost:${tlsPort}/f`), agent);
      expect(got.bytes).toBe(SIZE);
      expect(got.hex).toBe(EXPECTED);
      expect(got.memories).toBeLessThan(got.chunks / 4);
    } finally {
      await agent.close();
    }
  });

  /** Makes 200 requests for small answers on one keep-alive connection; answers how many buffers its reads took. */
  const buffersFor200 = async (port: number): Promise<number> => {
    const reads = pooledReads();
    const handedOut = new Set<ArrayBufferLike>();
    const counted = {
      buffer: () => {
        const b = reads.buffer();
        handedOut.add(b.buffer);
        return b;
      },
      callback: reads.callback,
    };
    const agent = new Agent({ connections: 1, connect: { onread: counted } as never });
    try {
      for (let i = 0; i < 200; i++) {
        const res = await streamedRequest(
          new URL(`http://127.0.0.1:${port}/n/${i}`),
          { method: 'GET', headers: {}, headersTimeout: 20_000, bodyTimeout: 20_000 },
          agent,
        );
        let text = '';
        await res.body.consume((chunk) => void (text += chunk.toString('latin1')));
        expect([res.headers['x-n'], text]).toEqual([String(i), `answer ${i} `.repeat(40)]);
      }
      return handedOut.size;
    } finally {
      await agent.close();
    }
  };

  it('small answers on a keep-alive connection reuse one read buffer instead of taking a fresh one per request', async () => {
    // A fresh buffer per read would make it 200 or more.
    expect(await buffersFor200(smallPort)).toBeLessThan(10);
  });

  it('so do small answers whose head and body come in reads of their own', async () => {
    // Each body ends the connection's body: the next answer's head is copied out again, not
    // left in a pooled buffer (one fresh buffer per request).
    expect(await buffersFor200(flushedPort)).toBeLessThan(10);
  });

  it('a body that comes in small reads (a slow link) goes through reused buffers, not a copy per read', async () => {
    const got = await readAll(new URL(`http://127.0.0.1:${trickle.port}/f`), network.dispatcher);
    expect(got.bytes).toBe(TRICKLE_SIZE);
    expect(got.hex).toBe(sha256(TRICKLE_SIZE));
    // 256 writes of 4 KiB, most read one by one. A copy per read would take new memory for
    // every byte (at least 16 of Node's 64 KiB slabs for 1 MiB of copies); the pool takes a few.
    expect(got.chunks).toBeGreaterThan(100);
    expect(got.memories).toBeLessThan(10);
  });

  it('headers that come one byte per read stay intact while later reads reuse buffers', async () => {
    const got = await readAll(new URL(`http://127.0.0.1:${dripPort}/f`), network.dispatcher);
    expect(got.bytes).toBe(8 * MiB);
    expect(got.hex).toBe(sha256(8 * MiB));
    expect(headerValues.map((_, i) => got.headers[`x-check-${i}`])).toEqual(headerValues);
  });
});
