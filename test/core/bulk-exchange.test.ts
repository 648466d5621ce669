/**
 * The bulk exchange against a plain node:http server on 127.0.0.1: framings the sandbox
 * never sends (chunked answers, interim 100, a body cut short, an answer before the
 * upload ended) and the reuse contract of request chunks.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bulkRequest, type BulkBody } from '../../src/core/http/bulk-exchange.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

describe('bulk exchange', () => {
  let server: Server;
  let base: string;
  let handler: Handler = (_req, res) => res.end();

  beforeAll(async () => {
    server = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const settings = { method: 'GET', headers: {}, headersTimeout: 5000, bodyTimeout: 5000 };
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  const collect = async (body: BulkBody): Promise<Buffer> => {
    const pieces: Buffer[] = [];
    await body.consume((view) => {
      pieces.push(Buffer.from(view));
    });
    return Buffer.concat(pieces);
  };
  const bodyOf = async (req: IncomingMessage): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };

  it('decodes a chunked answer handed out without copies', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 7);
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      for (let at = 0; at < data.length; at += 100_000) res.write(data.subarray(at, at + 100_000));
      res.end();
    };
    const res = await bulkRequest(new URL(`${base}/chunked`), settings);
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(sha(await collect(res.body))).toBe(sha(data));
  });

  it('reads an error body as a stream of copies', async () => {
    handler = (_req, res) => {
      res.writeHead(409, { 'content-type': 'application/json', 'x-request-id': 'abc' });
      res.end(JSON.stringify({ code: 'ClientError.Conflict' }));
    };
    const res = await bulkRequest(new URL(`${base}/error`), settings);
    expect(res.statusCode).toBe(409);
    expect(res.headers['x-request-id']).toBe('abc');
    const chunks: Buffer[] = [];
    for await (const c of res.body) chunks.push(c as Buffer);
    expect(JSON.parse(Buffer.concat(chunks).toString('utf8'))).toEqual({ code: 'ClientError.Conflict' });
  });

  it('fails a body that ends before its Content-Length with a resumable code', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '1000000' });
      res.write(Buffer.alloc(1000), () => res.socket?.destroy());
    };
    const res = await bulkRequest(new URL(`${base}/cut`), settings);
    let received = 0;
    const err = await res.body.consume((v) => void (received += v.length)).then(() => undefined, (e: unknown) => e);
    expect((err as { code?: string }).code).toBe('UND_ERR_SOCKET');
    expect(received).toBe(1000);
  });

  it('sends a body of unknown length chunked, chunk by chunk from two reused buffers', async () => {
    let got: Buffer | undefined;
    handler = (req, res) => {
      void bodyOf(req).then((b) => {
        got = b;
        res.end('ok');
      });
    };
    const source = randomBytes(5 * 65536 + 3);
    const buffers = [Buffer.alloc(65536), Buffer.alloc(65536)];
    async function* body(): AsyncGenerator<Uint8Array> {
      for (let at = 0, turn = 0; at < source.length; at += 65536, turn ^= 1) {
        const n = source.copy(buffers[turn]!, 0, at, at + 65536);
        yield buffers[turn]!.subarray(0, n);
      }
    }
    const res = await bulkRequest(new URL(`${base}/upload`), { ...settings, method: 'PUT', body: body() });
    expect(res.statusCode).toBe(200);
    await collect(res.body);
    expect(sha(got!)).toBe(sha(source));
  });

  it('answers with an early refusal and stops sending the rest', async () => {
    handler = (_req, res) => {
      res.writeHead(401, { connection: 'close', 'content-length': '2' });
      res.end('no');
    };
    let pulled = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      const chunk = Buffer.alloc(1024 * 1024);
      for (;;) {
        pulled++;
        yield chunk;
      }
    }
    const res = await bulkRequest(new URL(`${base}/refuse`), { ...settings, method: 'PUT', headers: { 'content-length': String(1 << 30) }, body: endless() });
    expect(res.statusCode).toBe(401);
    expect((await collect(res.body)).toString()).toBe('no');
    expect(pulled).toBeLessThan(1024);
  });

  it('skips an interim 100 Continue', async () => {
    handler = (_req, res) => {
      res.writeContinue();
      res.end('after');
    };
    const res = await bulkRequest(new URL(`${base}/continue`), settings);
    expect(res.statusCode).toBe(200);
    expect((await collect(res.body)).toString()).toBe('after');
  });

  it('rejects at once when aborted while waiting for the answer', async () => {
    handler = () => undefined;
    const controller = new AbortController();
    const pending = bulkRequest(new URL(`${base}/hang`), { ...settings, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('times out an answer that never comes', async () => {
    handler = () => undefined;
    await expect(bulkRequest(new URL(`${base}/slow`), { ...settings, headersTimeout: 200 })).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
  });
});
