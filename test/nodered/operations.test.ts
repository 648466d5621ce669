import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { randomFile, seedImage } from './seed.js';
import {
  clientConfig,
  clientCredentials,
  CLIENT_ID,
  helper,
  nextMessage,
  recordStatuses,
  sregistryNodes,
} from './support.js';

type Msg = Record<string, unknown>;

describe('sregistry nodes on the sandbox (happy paths and msg overrides)', () => {
  let sb: TestSandbox;
  beforeAll(async () => {
    sb = await startTestSandbox();
    await seedImage(sb, 'library/busybox:latest');
    await seedImage(sb, 'tools/other:v1');
  });
  afterAll(() => sb.stop());
  afterEach(() => helper.unload());

  /** A flow of one operation node wired to a helper node. */
  async function load(node: Msg, clientExtra: Msg = {}): Promise<void> {
    await helper.load(
      sregistryNodes,
      [
        clientConfig(sb, clientExtra),
        { id: 'op', client: CLIENT_ID, wires: [['out']], ...node },
        { id: 'out', type: 'helper' },
      ],
      clientCredentials(sb),
    );
  }

  it('pull downloads the node image into storage, keeps msg properties and ends green', async () => {
    await load({ type: 'sregistry-pull', image: 'library/busybox:latest' });
    const statuses = recordStatuses(helper.getNode('op'));
    const got = nextMessage(helper.getNode('out'));
    helper.getNode('op').receive({ topic: 'nightly', keep: { a: 1 } });
    const msg = await got;
    const payload = msg.payload as Msg;
    expect(payload.status).toBe('pulled');
    expect(payload.name).toBe('busybox');
    expect(payload.tag).toBe('latest');
    expect(String(payload.uri)).toMatch(
      new RegExp(`^globus://${sb.collection.id}/library/busybox:latest@[0-9a-f]{64}$`),
    );
    expect(String(payload.image).startsWith(String(clientConfig(sb).storage))).toBe(true);
    expect((await stat(String(payload.image))).size).toBe(payload.size);
    expect(msg.topic).toBe('nightly');
    expect(msg.keep).toEqual({ a: 1 });
    // Node-RED's file-node convention: the local file in msg.filename.
    expect(msg.filename).toBe(payload.image);
    expect(statuses[0]).toEqual({ fill: 'blue', shape: 'ring', text: 'resolving' });
    expect(statuses.at(-1)).toEqual({ fill: 'green', shape: 'dot', text: 'pulled library/busybox:latest' });
    expect(statuses.some((s) => /^pulling \d+%$/.test(s.text ?? '') && s.fill === 'blue' && s.shape === 'dot')).toBe(
      true,
    );
  });

  it('pull takes msg.uri and msg.endpoint (a display name) over the node settings', async () => {
    await load({ type: 'sregistry-pull', image: 'library/busybox:latest', endpoint: 'no-such-endpoint' });
    const got = nextMessage(helper.getNode('out'));
    helper.getNode('op').receive({ uri: 'tools/other:v1', endpoint: sb.collection.displayName });
    const payload = (await got).payload as Msg;
    expect(payload.collection).toBe('tools');
    expect(payload.name).toBe('other');
    expect(payload.endpoint).toBe(sb.collection.id);
  });

  it('pull takes a full globus:// URI in msg.uri and msg.transport', async () => {
    await load({ type: 'sregistry-pull', image: '' });
    const got = nextMessage(helper.getNode('out'));
    helper.getNode('op').receive({ uri: `globus://${sb.collection.id}/library/busybox:latest`, transport: 'https' });
    const payload = (await got).payload as Msg;
    expect(['pulled', 'cached']).toContain(payload.status);
    expect(payload.transport).toBe('https');
  });

  it("one client's Registry serves nodes that ask for different transports (the endpoint is looked up once)", async () => {
    await helper.load(
      sregistryNodes,
      [
        clientConfig(sb, { localEndpoint: sb.personal.id, transport: 'auto' }),
        {
          id: 'overHttps',
          type: 'sregistry-record',
          client: CLIENT_ID,
          image: 'library/busybox:latest',
          transport: 'https',
          wires: [['out']],
        },
        {
          id: 'overTransfer',
          type: 'sregistry-record',
          client: CLIENT_ID,
          image: 'tools/other:v1',
          transport: 'transfer',
          wires: [['out']],
        },
        { id: 'out', type: 'helper' },
      ],
      clientCredentials(sb),
    );
    const since = sb.context.faults.nextIndex;
    let got = nextMessage(helper.getNode('out'));
    helper.getNode('overHttps').receive({});
    const first = (await got).payload as Msg;
    got = nextMessage(helper.getNode('out'));
    helper.getNode('overTransfer').receive({});
    const second = (await got).payload as Msg;
    expect(first.transport).toBe('https');
    expect(second.transport).toBe('transfer');
    expect(second.taskId).toEqual(expect.any(String));
    const lookups = sb.context.faults
      .requestsSince(since)
      .filter((r) => r.method === 'GET' && r.path.endsWith(`/endpoint/${sb.collection.id}`));
    expect(lookups).toHaveLength(1);
  });

  it('record writes a record without downloading', async () => {
    await load({ type: 'sregistry-record', image: 'tools/other:v1' });
    const got = nextMessage(helper.getNode('out'));
    helper.getNode('op').receive({ payload: 'ignored' });
    const payload = (await got).payload as Msg;
    expect(payload.status).toBe('recorded');
    expect(payload.name).toBe('other');
    expect(payload.image).toBeUndefined();
  });

  it('search lists the images of the client endpoint, filtered by msg.query', async () => {
    await load({ type: 'sregistry-search', scope: 'images', query: 'nothing-matches-this' });
    const got = nextMessage(helper.getNode('out'));
    helper.getNode('op').receive({ query: 'busy' });
    const hits = (await got).payload as Msg[];
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h.kind === 'image')).toBe(true);
    expect(hits.map((h) => (h.image as Msg).name)).toContain('busybox');
    expect(hits.map((h) => (h.image as Msg).name)).not.toContain('other');
  });

  it('search finds endpoints when set to endpoints', async () => {
    await load({ type: 'sregistry-search', scope: 'endpoints', query: 'sandbox' });
    const got = nextMessage(helper.getNode('out'));
    helper.getNode('op').receive({});
    const hits = (await got).payload as Msg[];
    expect(hits.every((h) => h.kind === 'endpoint')).toBe(true);
    expect(hits.map((h) => (h.endpoint as Msg).id)).toContain(sb.collection.id);
  });

  it('push uploads msg.filename (as file nodes set it) with msg.tags and sends one result per tag', async () => {
    const file = await randomFile(sb, 'built.sif', 32 * 1024);
    await load({ type: 'sregistry-push', image: 'lab/analysis:v1', file: '/no/such/file' });
    const statuses = recordStatuses(helper.getNode('op'));
    const got = nextMessage(helper.getNode('out'));
    // A text payload from an earlier node is not a file path unless the node is set to take it.
    helper
      .getNode('op')
      .receive({ filename: file, payload: 'hello from an inject node', tags: ['stable'], topic: 'build' });
    const msg = await got;
    const results = msg.payload as Msg[];
    expect(results.map((r) => r.tag).sort()).toEqual(['stable', 'v1']);
    expect(results.every((r) => r.status === 'pushed' && r.name === 'analysis' && r.size === 32 * 1024)).toBe(true);
    expect(msg.topic).toBe('build');
    expect(statuses.at(-1)).toMatchObject({ fill: 'green', shape: 'dot' });
    expect(statuses.at(-1)?.text).toMatch(/^pushed lab\/analysis:(v1|stable) \+1 tags$/);
  });

  it('delete removes the image that msg.uri names', async () => {
    await seedImage(sb, 'lab/doomed:old');
    await load({ type: 'sregistry-delete', image: '' });
    const got = nextMessage(helper.getNode('out'));
    helper.getNode('op').receive({ uri: 'lab/doomed:old' });
    const payload = (await got).payload as Msg;
    expect((payload.deleted as string[]).length).toBeGreaterThan(0);
    expect(
      (payload.deleted as string[]).every((u) => u.startsWith(`globus://${sb.collection.id}/lab/doomed:old`)),
    ).toBe(true);

    await helper.unload();
    await load({ type: 'sregistry-search', scope: 'images' });
    const after = nextMessage(helper.getNode('out'));
    helper.getNode('op').receive({ query: 'doomed' });
    expect((await after).payload).toEqual([]);
  });

  it('delete in prune mode keeps the newest versions and the tagged ones, checked on disk', async () => {
    for (let i = 0; i < 3; i++) await seedImage(sb, 'lab/pruned:latest', 4096);
    const dir = join(sb.collection.root!, 'shub', 'lab', 'pruned');
    const images = async () => (await readdir(dir)).filter((f) => f.endsWith('.sif'));
    expect(await images()).toHaveLength(3);
    await load({ type: 'sregistry-delete', mode: 'prune', image: 'lab/pruned', keep: '1', dryRun: true });
    const dry = nextMessage(helper.getNode('out'));
    helper.getNode('op').receive({});
    const listed = (await dry).payload as { dryRun: boolean; removed: Array<{ kind: string }> };
    expect(listed.dryRun).toBe(true);
    expect(listed.removed.map((r) => r.kind).sort()).toEqual(['manifest', 'manifest', 'version', 'version']);
    expect(await images()).toHaveLength(3);
    const done = nextMessage(helper.getNode('out'));
    helper.getNode('op').receive({ dryRun: false });
    const payload = (await done).payload as { removed: unknown[]; taskId: string };
    expect(payload.removed).toHaveLength(4);
    expect(payload.taskId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await images()).toHaveLength(1);
  });
});
