/** sregistry-watch in the Node-RED runtime (node-red-node-test-helper) against a sandbox. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { seedImage } from './seed.js';
import {
  catchNode,
  clientConfig,
  clientCredentials,
  CLIENT_ID,
  helper,
  recordStatuses,
  sregistryNodes,
  waitFor,
  type HelperNode,
  type StatusCall,
} from './support.js';

type Msg = Record<string, unknown>;

describe('sregistry-watch', () => {
  let sb: TestSandbox;
  beforeAll(async () => {
    sb = await startTestSandbox();
  });
  afterEach(() => helper.unload());
  afterAll(() => sb.stop());

  /** Loads a watch node wired to a helper; returns what the helper receives and the statuses. */
  async function load(watch: Msg, extra: Msg[] = []): Promise<{ got: Msg[]; statuses: StatusCall[] }> {
    await helper.load(
      [...sregistryNodes, catchNode],
      [
        clientConfig(sb),
        { id: 'watch', type: 'sregistry-watch', client: CLIENT_ID, interval: 1, wires: [['out']], ...watch },
        { id: 'out', type: 'helper' },
        ...extra,
      ],
      clientCredentials(sb),
    );
    const got: Msg[] = [];
    helper.getNode('out').on('input', (m) => got.push(m as Msg));
    // Statuses set before this point (starting, first check) are not recorded; the tests wait for later ones.
    return { got, statuses: recordStatuses(helper.getNode('watch')) };
  }

  const checks = (statuses: StatusCall[]): number =>
    statuses.filter((s) => /^watching, checked \d\d:\d\d:\d\d/.test(s.text ?? '')).length;

  /** The node's saved state, from its context. */
  const savedState = (): Promise<{ seen: Record<string, string[]> } | undefined> =>
    new Promise((ok) =>
      (
        helper.getNode('watch') as unknown as {
          context(): { get(k: string, cb: (e: unknown, v: unknown) => void): void };
        }
      )
        .context()
        .get('sregistry-watch-state', (_e, v) => ok(v as never)),
    );

  it('starts on deploy, sends one message per new version, and keeps what it saw in the node context', async () => {
    await seedImage(sb, 'lab/one:v1');
    const { got, statuses } = await load({ target: 'lab/one' });
    await waitFor(async () => (await savedState()) !== undefined, 20000, 'the first check');
    const pushed = await seedImage(sb, 'lab/one:v2');
    await waitFor(() => got.length >= 1, 20000, 'a message for v2');
    const before = checks(statuses);
    await waitFor(() => checks(statuses) >= before + 2, 20000, 'two more checks');
    expect(got).toHaveLength(1);
    const msg = got[0]!;
    const payload = msg.payload as Msg;
    expect(msg.uri).toBe(`globus://${sb.collection.id}/lab/one:v2@${pushed.version}`);
    expect(payload).toMatchObject({
      uri: msg.uri,
      collection: 'lab',
      name: 'one',
      tag: 'v2',
      tags: ['v2'],
      version: pushed.version,
      size: pushed.size,
    });
    expect(msg.topic).toBe(`globus://${sb.collection.id}/lab/one`);
    expect(msg.filename).toBeUndefined();
    expect((await savedState())?.seen['lab/one']).toHaveLength(2);
    expect(statuses.some((s) => s.fill === 'green' && /, 1 new$/.test(s.text ?? ''))).toBe(true);
  }, 60_000);

  it('pulls first when asked: msg.filename is the file in storage', async () => {
    const { got } = await load({ target: `globus://${sb.collection.id}/lab/pulled:latest`, pull: true });
    await waitFor(async () => (await savedState()) !== undefined, 20000, 'the first check');
    const pushed = await seedImage(sb, 'lab/pulled:latest', 70_000);
    await waitFor(() => got.length >= 1, 20000, 'the pulled version');
    const msg = got[0]!;
    expect((msg.payload as Msg).status).toBe('pulled');
    expect(String(msg.filename).startsWith(join(sb.tmp, 'storage'))).toBe(true);
    expect(existsSync(String(msg.filename))).toBe(true);
    expect((msg.payload as Msg).version).toBe(pushed.version);
  }, 60_000);

  it('checks at once on an input message instead of waiting for the interval, and makes no call after close', async () => {
    const { got } = await load({ target: 'lab/now', interval: 3600 });
    await waitFor(async () => (await savedState()) !== undefined, 20000, 'the first check');
    await seedImage(sb, 'lab/now:v1');
    (helper.getNode('watch') as HelperNode).receive({});
    // An hour-long interval: only the input can make this check happen.
    await waitFor(() => got.length >= 1, 20000, 'the message after the input');
    expect((got[0]!.payload as Msg).name).toBe('now');
    await helper.unload();
    const since = sb.context.faults.nextIndex;
    await new Promise((r) => setTimeout(r, 1500));
    expect(sb.context.faults.requestsSince(since)).toEqual([]);
  }, 60_000);

  it('stops with a red status and a Catch message when the endpoint does not exist', async () => {
    const { statuses } = await load({ target: 'globus://00000000-0000-4000-8000-00000000dead/lab' }, [
      { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ]);
    const caught: Msg[] = [];
    helper.getNode('caught').on('input', (m) => caught.push(m as Msg));
    await waitFor(() => caught.length >= 1, 20000, 'the error');
    expect((caught[0]!.error as Msg).code).toBe('INVALID_INPUT');
    await waitFor(
      () => statuses.some((s) => s.fill === 'red' && /^stopped: INVALID_INPUT/.test(s.text ?? '')),
      5000,
      'the red status',
    );
    expect(JSON.stringify(caught)).not.toContain(sb.client.secret);
  }, 60_000);
});
