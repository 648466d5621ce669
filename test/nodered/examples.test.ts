import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { REPO } from './runtime.js';
import { seedImage } from './seed.js';
import { helper, nextMessage, sregistryNodes, waitFor, type HelperNode } from './support.js';

const require = createRequire(import.meta.url);
const coreNodes = [
  '@node-red/nodes/core/common/20-inject.js',
  '@node-red/nodes/core/function/15-change.js',
  '@node-red/nodes/core/sequence/17-split.js',
  '@node-red/nodes/core/storage/10-file.js',
].map((m) => require(m) as unknown);

type Node = Record<string, unknown>;

/**
 * An example flow as a user would set it up against this sandbox: the client's URLs and
 * credentials filled in (the examples name the sandbox's `sandbox-collection`), storage in
 * the temp folder, and each debug node swapped for a helper node the test listens to.
 */
async function exampleFlow(
  sb: TestSandbox,
  file: string,
  creds?: Node,
): Promise<{ flow: Node[]; credentials: Node; debug: string[]; exec: string[] }> {
  const nodes = JSON.parse(await readFile(join(REPO, 'examples', file), 'utf8')) as Node[];
  const credentials: Node = {};
  const debug: string[] = [];
  const exec: string[] = [];
  const flow = nodes
    .filter((n) => n.type !== 'comment')
    .map((n) => {
      if (n.type === 'sregistry-globus-client') {
        credentials[n.id as string] = creds ?? { clientId: sb.client.id, clientSecret: sb.client.secret };
        const { credentials: _shipped, ...client } = n;
        return {
          ...client,
          authUrl: `${sb.url}/`,
          transferUrl: `${sb.url}/`,
          storage: join(sb.tmp, 'storage'),
          database: join(sb.tmp, 'records.db'),
        };
      }
      if (n.type === 'debug') {
        debug.push(n.id as string);
        return { id: n.id, z: n.z, type: 'helper' };
      }
      if (n.type === 'file') return { ...n, filename: join(sb.tmp, 'written.sif') };
      // No apptainer here: the test receives what the Exec node would run.
      if (n.type === 'exec') {
        exec.push(n.id as string);
        return { id: n.id, z: n.z, type: 'helper' };
      }
      return n;
    });
  return { flow: [{ id: nodes[0]!.z, type: 'tab', label: file }, ...flow], credentials, debug, exec };
}

const injectId = (flow: Node[]): string => flow.find((n) => n.type === 'inject')!.id as string;
const inject = (flow: Node[]): void =>
  (helper.getNode(injectId(flow)) as HelperNode & { receive(m: Node): void }).receive({});

/** Each test has its own sandbox and seeds the images its flow needs, so any one runs alone. */
describe('the example flows, run against the sandbox', () => {
  let sb: TestSandbox;
  beforeEach(async () => {
    sb = await startTestSandbox((world) => {
      // The examples name the collection by its display name, as a user would.
      world.endpoints[1]!.displayName = 'sandbox-collection';
    });
  });
  afterEach(async () => {
    await helper.unload();
    await sb.stop();
  });
  const seedAnalysis = async (...tags: string[]): Promise<void> => {
    for (const tag of tags) await seedImage(sb, `lab/analysis:${tag}`);
  };

  it('03 pushes the file an earlier node wrote', async () => {
    const { flow, credentials, debug } = await exampleFlow(sb, '03 - Push a file written by an earlier node.json');
    await helper.load([...sregistryNodes, ...coreNodes], flow, credentials);
    const got = nextMessage(helper.getNode(debug[0]!));
    inject(flow);
    const results = (await got).payload as Node[];
    expect(results.map((r) => `${r.status} ${r.collection}/${r.name}:${r.tag}`).sort()).toEqual([
      'pushed lab/analysis:demo',
      'pushed lab/analysis:latest',
    ]);
  });

  it('every example uses the one client, whose credentials are ${GLOBUS_CLIENT_ID} and ${GLOBUS_CLIENT_SECRET}', async () => {
    const clients = new Set<string>();
    for (const file of (await readdir(join(REPO, 'examples'))).filter((f) => f.endsWith('.json'))) {
      const nodes = JSON.parse(await readFile(join(REPO, 'examples', file), 'utf8')) as Node[];
      const client = nodes.filter((n) => n.type === 'sregistry-globus-client');
      expect({ file, clients: client.length }).toEqual({ file, clients: 1 });
      clients.add(JSON.stringify(client[0]));
      for (const n of nodes.filter(
        (x) => String(x.type).startsWith('sregistry-') && x.type !== 'sregistry-globus-client',
      ))
        expect(n.client).toBe(client[0]!.id);
    }
    // The same node, byte for byte, in every file: importing several adds one client.
    expect(clients.size).toBe(1);
    expect((JSON.parse([...clients][0]!) as Node).credentials).toEqual({
      clientId: '${GLOBUS_CLIENT_ID}',
      clientSecret: '${GLOBUS_CLIENT_SECRET}',
    });
  });

  it("01 with the shipped ${GLOBUS_CLIENT_ID} credentials pulls with the client of Node-RED's environment", async () => {
    await seedAnalysis('latest');
    const saved = { id: process.env.GLOBUS_CLIENT_ID, secret: process.env.GLOBUS_CLIENT_SECRET };
    process.env.GLOBUS_CLIENT_ID = sb.client.id;
    process.env.GLOBUS_CLIENT_SECRET = sb.client.secret;
    try {
      const { flow, credentials, debug } = await exampleFlow(sb, '01 - Scheduled pull.json', {
        clientId: '${GLOBUS_CLIENT_ID}',
        clientSecret: '${GLOBUS_CLIENT_SECRET}',
      });
      await helper.load([...sregistryNodes, ...coreNodes], flow, credentials);
      const got = nextMessage(helper.getNode(debug[0]!));
      inject(flow);
      expect(((await got).payload as Node).status).toBe('pulled');
    } finally {
      for (const [k, v] of [
        ['GLOBUS_CLIENT_ID', saved.id],
        ['GLOBUS_CLIENT_SECRET', saved.secret],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('a client without credentials fails the message with an error that names that client', async () => {
    const saved = { id: process.env.GLOBUS_CLIENT_ID, secret: process.env.GLOBUS_CLIENT_SECRET };
    delete process.env.GLOBUS_CLIENT_ID;
    delete process.env.GLOBUS_CLIENT_SECRET;
    try {
      const { flow, credentials } = await exampleFlow(sb, '01 - Scheduled pull.json', {
        clientId: '',
        clientSecret: '',
      });
      const client = flow.find((n) => n.type === 'sregistry-globus-client')!;
      await helper.load([...sregistryNodes, ...coreNodes], flow, credentials);
      const pull = helper.getNode(flow.find((n) => n.type === 'sregistry-pull')!.id as string) as HelperNode & {
        on(event: 'call:error', cb: (call: { firstArg: unknown }) => void): void;
      };
      const failed = new Promise<string>((ok) =>
        pull.on('call:error', (call) => ok(String((call.firstArg as Error)?.message ?? call.firstArg))),
      );
      inject(flow);
      const message = await failed;
      expect(message).toContain(
        `The Globus client "${String(client.name)}" (${String(client.id)}) has no client id or secret`,
      );
      expect(message).toContain('${GLOBUS_CLIENT_ID}');
    } finally {
      for (const [k, v] of [
        ['GLOBUS_CLIENT_ID', saved.id],
        ['GLOBUS_CLIENT_SECRET', saved.secret],
      ] as const)
        if (v !== undefined) process.env[k] = v;
    }
  });

  it('01 pulls the image on its trigger', async () => {
    await seedAnalysis('latest');
    const { flow, credentials, debug } = await exampleFlow(sb, '01 - Scheduled pull.json');
    expect(flow.find((n) => n.type === 'inject')!.crontab).toBe('00 03 * * *');
    await helper.load([...sregistryNodes, ...coreNodes], flow, credentials);
    const got = nextMessage(helper.getNode(debug[0]!));
    inject(flow);
    const payload = (await got).payload as Node;
    expect(payload.status).toBe('pulled');
    expect(String(payload.image).startsWith(join(sb.tmp, 'storage'))).toBe(true);
  });

  it('02 records every image the search finds', async () => {
    await seedAnalysis('demo', 'latest');
    const { flow, credentials, debug } = await exampleFlow(sb, '02 - Search and record every image.json');
    await helper.load([...sregistryNodes, ...coreNodes], flow, credentials);
    const out = helper.getNode(debug[0]!);
    const got: Node[] = [];
    out.on('input', (m) => got.push(m as Node));
    inject(flow);
    await waitFor(() => got.length >= 2, 20000, 'two records');
    expect(got.map((m) => (m.payload as Node).tag).sort()).toEqual(['demo', 'latest']);
    expect(got.every((m) => (m.payload as Node).status === 'recorded')).toBe(true);
  });

  it('04 deletes the tag that msg.uri names', async () => {
    await seedAnalysis('demo', 'latest');
    const { flow, credentials, debug } = await exampleFlow(sb, '04 - Delete an image version.json');
    await helper.load([...sregistryNodes, ...coreNodes], flow, credentials);
    const got = nextMessage(helper.getNode(debug[0]!));
    inject(flow);
    const deleted = ((await got).payload as Node).deleted as string[];
    expect(deleted.length).toBeGreaterThan(0);
    expect(deleted.every((u) => u.includes('/lab/analysis:demo'))).toBe(true);
  });

  it('05 pulls each new analysis image and hands its file to the run', async () => {
    await seedAnalysis('latest');
    const { flow, credentials, exec } = await exampleFlow(
      sb,
      '05 - Pull each new analysis image and start the run.json',
    );
    const watch = flow.find((n) => n.type === 'sregistry-watch')!;
    expect(watch).toMatchObject({ target: 'lab/analysis:latest', pull: true, interval: 60 });
    // A minute between checks is right for a lab and long for a test.
    watch.interval = 1;
    await helper.load([...sregistryNodes, ...coreNodes], flow, credentials);
    const context = (
      helper.getNode(watch.id as string) as unknown as {
        context(): { get(k: string, cb: (e: unknown, v: unknown) => void): void };
      }
    ).context();
    const state = (): Promise<unknown> => new Promise((ok) => context.get('sregistry-watch-state', (_e, v) => ok(v)));
    await waitFor(async () => (await state()) !== undefined, 20000, 'the first check');
    const got = nextMessage(helper.getNode(exec[0]!));
    const pushed = await seedImage(sb, 'lab/analysis:latest');
    const msg = await got;
    expect(msg.payload).toBe(msg.filename);
    expect(String(msg.payload).startsWith(join(sb.tmp, 'storage'))).toBe(true);
    expect(existsSync(String(msg.payload))).toBe(true);
    expect(msg.uri).toBe(`globus://${sb.collection.id}/lab/analysis:latest@${pushed.version}`);
  }, 60_000);
});
