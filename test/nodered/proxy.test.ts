/**
 * A flow whose Globus client names a Node-RED `http proxy` config node (the one the core
 * http request node uses) with credentials: push, pull, record, search and delete go
 * through a real forward proxy on 127.0.0.1 (Auth, Transfer and collection calls in its
 * log); a dead proxy and an operation past the client's timeout reach a Catch node with
 * codes PROXY and TIMEOUT; the proxy password is in no status or error.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { deadPort, startForwardProxy, type ForwardProxy } from '../support/forward-proxy.js';
import { randomFile } from './seed.js';
import {
  catchNode,
  clientConfig,
  clientCredentials,
  CLIENT_ID,
  helper,
  nextMessage,
  recordStatuses,
  sregistryNodes,
  type StatusCall,
} from './support.js';

const require = createRequire(import.meta.url);
const httpProxyNode = require('@node-red/nodes/core/network/06-httpproxy.js') as unknown;

type Msg = Record<string, unknown>;
const USER = 'nr-proxy';
const PASSWORD = 'Nr-Pr0xy-Secret-Pass';

describe('sregistry nodes behind a proxy', () => {
  let sb: TestSandbox;
  let proxy: ForwardProxy;
  let silent: Server;
  let silentPort: number;
  beforeAll(async () => {
    sb = await startTestSandbox();
    proxy = await startForwardProxy({ user: USER, password: PASSWORD });
    // A proxy that accepts connections and never answers: only the deadline ends a call.
    silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentPort = (silent.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await proxy.close();
    silent.closeAllConnections();
    await new Promise((r) => silent.close(r));
    await sb.stop();
  });
  afterEach(() => helper.unload());

  async function load(node: Msg, proxyUrl: string, clientExtra: Msg = {}): Promise<void> {
    await helper.load(
      [...sregistryNodes, catchNode, httpProxyNode],
      [
        { id: 'px', type: 'http proxy', name: 'site proxy', url: proxyUrl, noproxy: [] },
        clientConfig(sb, { proxy: 'px', ...clientExtra }),
        { id: 'op', client: CLIENT_ID, wires: [['out']], ...node },
        { id: 'out', type: 'helper' },
        { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ],
      { ...clientCredentials(sb), px: { username: USER, password: PASSWORD } },
    );
  }

  /** Sends one message and answers the payload, or the error a Catch node got. */
  async function once(msg: Msg): Promise<{ payload?: unknown; error?: Msg; statuses: StatusCall[] }> {
    const statuses = recordStatuses(helper.getNode('op'));
    const out = nextMessage(helper.getNode('out')).then((m) => ({ payload: m.payload }));
    const caught = nextMessage(helper.getNode('caught')).then((m) => ({ error: m.error as Msg }));
    helper.getNode('op').receive(msg);
    return { ...(await Promise.race([out, caught])), statuses };
  }

  const logged = (from: number): string[] => proxy.log.slice(from).map((e) => `${e.method} ${e.target}`);

  it('push, pull, record, search and delete go through the proxy with its credentials', async () => {
    const file = await randomFile(sb, 'nr-proxy.sif', 128 * 1024);
    const collection = new URL(sb.collection.httpsServer!).origin;
    const steps: Array<[Msg, Msg, (lines: string[]) => boolean]> = [
      [
        { type: 'sregistry-push', image: 'lab/proxied:v1' },
        { filename: file },
        (l) => l.some((x) => x.startsWith(`PUT ${collection}/`)),
      ],
      [
        { type: 'sregistry-pull', image: 'lab/proxied:v1', transport: 'https' },
        {},
        (l) => l.some((x) => x.startsWith(`GET ${collection}/`)),
      ],
      [{ type: 'sregistry-record', image: 'lab/proxied:v1' }, {}, (l) => l.some((x) => x.includes('/v0.10/'))],
      [{ type: 'sregistry-search', query: 'proxied' }, {}, (l) => l.some((x) => x.includes('/v0.10/'))],
      [
        { type: 'sregistry-delete', image: 'lab/proxied:v1', confirm: true },
        {},
        (l) => l.some((x) => x.includes('/v0.10/')),
      ],
    ];
    for (const [node, msg, check] of steps) {
      await load(node, `http://127.0.0.1:${proxy.port}`);
      const before = proxy.log.length;
      const got = await once(msg);
      expect([node.type, got.error]).toEqual([node.type, undefined]);
      const lines = logged(before);
      expect([node.type, check(lines)]).toEqual([node.type, true]);
      expect(proxy.log.slice(before).every((e) => e.authorized)).toBe(true);
      await helper.unload();
    }
    expect(proxy.log.some((e) => e.target.endsWith('/v2/oauth2/token'))).toBe(true);
  });

  it('a dead proxy reaches the Catch node as PROXY naming it, without the password', async () => {
    const port = await deadPort();
    await load({ type: 'sregistry-search', query: 'x' }, `http://127.0.0.1:${port}`);
    const got = await once({});
    expect(got.error?.code).toBe('PROXY');
    expect(String(got.error?.message)).toContain(`127.0.0.1:${port}`);
    expect(JSON.stringify(got)).not.toContain(PASSWORD);
  });

  it("an operation past the client's timeout ends with TIMEOUT", async () => {
    // 0.02 minutes: 1.2 s against a proxy that never answers (the per-request wait is 60 s).
    await load({ type: 'sregistry-search', query: 'x' }, `http://127.0.0.1:${silentPort}`, { timeout: 0.02 });
    const got = await once({});
    expect(got.error?.code).toBe('TIMEOUT');
  });
});
