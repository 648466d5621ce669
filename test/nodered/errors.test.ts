import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { randomFile, seedImage } from './seed.js';
import {
  catchNode,
  clientConfig,
  clientCredentials,
  CLIENT_ID,
  helper,
  nextMessage,
  recordStatuses,
  sregistryNodes,
  waitFor,
  type HelperNode,
} from './support.js';

type Msg = Record<string, unknown>;

/** Every message a helper node receives, in order. */
function collect(node: HelperNode): Msg[] {
  const got: Msg[] = [];
  node.on('input', (msg) => got.push(msg as Msg));
  return got;
}

describe('sregistry nodes: errors, Catch nodes and the queue', () => {
  let sb: TestSandbox;
  beforeAll(async () => {
    sb = await startTestSandbox();
    await seedImage(sb, 'library/busybox:latest');
  });
  afterAll(() => sb.stop());
  afterEach(() => helper.unload());

  async function load(node: Msg, withClient = true): Promise<void> {
    await helper.load(
      [...sregistryNodes, catchNode],
      [
        ...(withClient ? [clientConfig(sb)] : []),
        { id: 'op', client: withClient ? CLIENT_ID : '', wires: [['out']], ...node },
        { id: 'out', type: 'helper' },
        { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ],
      withClient ? clientCredentials(sb) : {},
    );
  }

  it('a pull of a missing image reaches a Catch node with the original msg and its error code', async () => {
    await load({ type: 'sregistry-pull', image: 'library/missing:latest' });
    const statuses = recordStatuses(helper.getNode('op'));
    const caught = nextMessage(helper.getNode('caught'));
    const out = collect(helper.getNode('out'));
    helper.getNode('op').receive({ topic: 'nightly', sample: 42 });
    const msg = await caught;
    expect(msg.topic).toBe('nightly');
    expect(msg.sample).toBe(42);
    const error = msg.error as Msg;
    expect(error.code).toBe('NOT_FOUND');
    expect(String(error.message)).toContain('missing');
    expect((error.source as Msg).id).toBe('op');
    expect(out).toEqual([]);
    expect(statuses[0]).toEqual({ fill: 'blue', shape: 'ring', text: 'resolving' });
    expect(statuses.at(-1)).toMatchObject({ fill: 'red', shape: 'ring' });
    expect(statuses.at(-1)?.text).toMatch(/^NOT_FOUND: /);
    expect((statuses.at(-1)?.text ?? '').length).toBeLessThanOrEqual(40);
  });

  it('push ignores a text msg.payload by default and takes it as the path only when set to', async () => {
    const file = await randomFile(sb, 'payload.sif', 8 * 1024);
    await load({ type: 'sregistry-push', image: 'lab/by-payload:v1', file: '' });
    const caught = nextMessage(helper.getNode('caught'));
    helper.getNode('op').receive({ payload: file });
    expect(String(((await caught).error as Msg).message)).toContain('no file to push: set msg.filename');

    await helper.unload();
    await load({ type: 'sregistry-push', image: 'lab/by-payload:v1', file: '', payloadIsPath: true });
    const got = nextMessage(helper.getNode('out'));
    helper.getNode('op').receive({ payload: file });
    const results = (await got).payload as Msg[];
    expect(results.map((r) => `${String(r.status)} ${String(r.name)}:${String(r.tag)}`)).toEqual([
      'pushed by-payload:v1',
    ]);
  });

  it('push refuses a collection sregistry-cli would read as a registry host', async () => {
    const file = await randomFile(sb, 'dotted.sif', 4 * 1024);
    await load({ type: 'sregistry-push', image: 'lab.core/w:v1', file });
    const caught = nextMessage(helper.getNode('caught'));
    helper.getNode('op').receive({});
    const error = (await caught).error as Msg;
    expect(error.code).toBe('INVALID_REFERENCE');
    expect(String(error.message)).toContain('lab-core');
  });

  it('an unknown msg.transport is an error with the original msg', async () => {
    await load({ type: 'sregistry-pull', image: 'library/busybox:latest' });
    const caught = nextMessage(helper.getNode('caught'));
    helper.getNode('op').receive({ transport: 'carrier-pigeon', id: 7 });
    const msg = await caught;
    expect(msg.id).toBe(7);
    expect(String((msg.error as Msg).message)).toContain('Unknown transport "carrier-pigeon"');
  });

  it('a msg override that is not a string is refused: a delete never falls back to its configured image', async () => {
    const seeded = await seedImage(sb, 'library/keepme:latest');
    await load({ type: 'sregistry-delete', image: 'library/keepme:latest' });
    const out = collect(helper.getNode('out'));
    for (const [key, value] of [
      ['uri', { uri: 'library/other' }],
      ['endpoint', 42],
      ['transport', ['https']],
    ] as const) {
      const caught = nextMessage(helper.getNode('caught'));
      const sent = nextMessage(helper.getNode('out')).then((m) => {
        throw new Error(`the node ran with msg.${key} ignored: ${JSON.stringify(m.payload)}`);
      });
      helper.getNode('op').receive({ [key]: value, key });
      const msg = await Promise.race([caught, sent]);
      expect(msg.key).toBe(key);
      expect(String((msg.error as Msg).message)).toContain(`msg.${key} must be a string`);
    }
    expect(out).toEqual([]);
    await expect(stat(join(sb.collection.root!, seeded.path))).resolves.toBeTruthy();
  });

  it('a delete or search node of an older flow, saved with a Transport setting, runs and moves by none (they move no bytes)', async () => {
    const seeded = await seedImage(sb, 'library/oldflow:latest');
    // An unknown name: a node that read the setting would fail the message with "Unknown transport".
    await load({ type: 'sregistry-delete', image: 'library/oldflow:latest', transport: 'carrier-pigeon' });
    const sent = nextMessage(helper.getNode('out'));
    helper.getNode('op').receive({ n: 1 });
    expect(((await sent).payload as { deleted: unknown[] }).deleted).toHaveLength(1);
    await expect(stat(join(sb.collection.root!, seeded.path))).rejects.toThrow();
    await helper.unload();
    await load({ type: 'sregistry-search', scope: 'images', query: 'busybox', transport: 'carrier-pigeon' });
    const found = nextMessage(helper.getNode('out'));
    helper.getNode('op').receive({ n: 2 });
    expect(JSON.stringify((await found).payload)).toContain('busybox');
  });

  it('a node without a Globus client says so in its status and fails each message', async () => {
    await load({ type: 'sregistry-search', scope: 'endpoints' }, false);
    const caught = nextMessage(helper.getNode('caught'));
    helper.getNode('op').receive({ n: 1 });
    const msg = await caught;
    expect(msg.n).toBe(1);
    expect(String((msg.error as Msg).message)).toContain('no Globus client');
  });

  it('queues messages behind the running one, shows the count, and refuses overflow', async () => {
    await load({ type: 'sregistry-pull', image: 'library/busybox:latest', queueLimit: 2 });
    const op = helper.getNode('op');
    const statuses = recordStatuses(op);
    const out = collect(helper.getNode('out'));
    const caught = nextMessage(helper.getNode('caught'));
    for (let n = 1; n <= 4; n += 1) op.receive({ n });

    const overflow = await caught;
    expect(overflow.n).toBe(4);
    expect(String((overflow.error as Msg).message)).toContain('2 messages already wait');
    await waitFor(() => out.length === 3, 30000, 'three pulls');
    expect(out.map((m) => m.n)).toEqual([1, 2, 3]);
    expect(out.map((m) => (m.payload as Msg).status)).toEqual(['pulled', 'cached', 'cached']);
    const texts = statuses.map((s) => s.text ?? '');
    expect(texts).toContain('resolving (+1 queued)');
    expect(texts).toContain('resolving (+2 queued)');
    expect(texts.at(-1)).toBe('cached library/busybox:latest');
  });
});
