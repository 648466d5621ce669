/**
 * Failures of a streamed exchange that come at awkward times: a reset before anyone reads
 * the body, a sink that throws on a chunk fed after the answer ended. Each must end the
 * body's promise with the error; none may hang or surface as an uncaught exception.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import { streamedRequest } from '../../../src/core/http/streamed-exchange.js';

const settings = { method: 'GET', headers: {}, headersTimeout: 10_000, bodyTimeout: 10_000 };

/** Resolves with the outcome of `p`, or 'pending' if it has not settled once `settled` resolved and the event loop turned a few times. */
async function outcome(p: Promise<unknown>, settled: Promise<unknown>): Promise<string> {
  let state = 'pending';
  p.then(
    () => (state = 'resolved'),
    (err: unknown) => (state = `rejected: ${(err as { code?: string }).code ?? (err as Error).message}`),
  );
  await settled;
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  return state;
}

describe('streamed exchange failures', () => {
  let server: Server;
  let base: string;
  const agent = new Agent();
  let serverReset: () => void = () => undefined;
  const wasReset = new Promise<void>((r) => (serverReset = r));

  beforeAll(async () => {
    server = createServer((req, res) => {
      // A head and a little of the body, then a reset (RST) while the client holds the body unread.
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '1000000' });
      res.write(Buffer.alloc(100, 1), () => {
        setTimeout(() => {
          (req.socket as Socket).resetAndDestroy();
          serverReset();
        }, 50);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await agent.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('a reset between the head and the first read rejects the body, with no unlistened error', async () => {
    // An unlistened 'error' would be an uncaught exception, which fails this test.
    const res = await streamedRequest(new URL(`${base}/reset`), settings, agent);
    expect(res.statusCode).toBe(200);
    // The caller is still busy (as download.ts truncating its file after a 200 to a Range request).
    await wasReset;
    await new Promise((r) => setTimeout(r, 200));
    const err = await res.body.consume(() => undefined).catch((e: unknown) => e);
    expect(err).toHaveProperty('code', 'ECONNRESET');
    expect(res.body.destroyed).toBe(true);
  });

  it('a sink that throws on a chunk fed after the end rejects the body instead of hanging', async () => {
    // HTTP/1 through undici stops handing out chunks once paused; the order undici allows
    // (chunks after a pause, then the end) is driven here by a dispatcher of our own.
    const controller = {
      paused: false,
      aborted: false,
      pause: () => (controller.paused = true),
      resume: () => (controller.paused = false),
      abort: () => (controller.aborted = true),
    };
    let handler!: Dispatcher.DispatchHandler;
    const dispatcher = {
      dispatch: (_o: unknown, h: Dispatcher.DispatchHandler) => ((handler = h), true),
    } as unknown as Dispatcher;
    const answered = streamedRequest(new URL(`${base}/chunks`), settings, dispatcher);
    handler.onRequestStart!(controller as never, {});
    handler.onResponseStart!(controller as never, 200, {}, 'OK');
    const res = await answered;
    let calls = 0;
    let releaseFirst: () => void = () => undefined;
    const ended = res.body.consume(() => {
      calls++;
      if (calls === 1) return new Promise<void>((r) => (releaseFirst = r));
      throw Object.assign(new Error('over the bound'), { code: 'TEST_SINK_THREW' });
    });
    handler.onResponseData!(controller as never, Buffer.alloc(10, 1));
    handler.onResponseData!(controller as never, Buffer.alloc(10, 2));
    handler.onResponseEnd!(controller as never, {});
    releaseFirst();
    expect(await outcome(ended, Promise.resolve())).toBe('rejected: TEST_SINK_THREW');
    expect(calls).toBe(2);
  });
});
