/**
 * `sregistry-globus demo`: the whole life of an image against a Globus sandbox started in
 * this process, on a temp folder that is removed afterwards (also on failure and Ctrl-C).
 * Nothing outside that folder is touched: not the home folder, not ~/.singularity.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SregistryError,
  type ApiCallLike,
  Registry,
  type RegistryEvent,
  type RegistryOptions,
  writeSif,
} from '../../index.js';
import type { RunningSandbox } from '../../sandbox/sandbox.js';
import type { CommandContext, CommandSpec } from '../command.js';
import { urlPath } from '../calls.js';
import { formatBytes } from '../output.js';
import { deletedText, imageTable, localDetails, localTable, searchTable } from './show.js';

interface DemoCall {
  method: string;
  path: string;
  status: number;
  requestId: string | null;
  /** Why a failed answer is expected here, when it is. */
  expected?: string;
}

interface DemoStep {
  step: number;
  title: string;
  calls: DemoCall[];
  result: unknown;
}

const TOTAL_STEPS = 9;

export const demo: CommandSpec = {
  name: 'demo',
  summary: 'walk through push, search, record, pull, inspect, images and delete on a local sandbox',
  positionals: [],
  options: {},
  optionHelp: [],
  description:
    'Starts a Globus sandbox inside this process on a temporary folder, makes a small SIF\n' +
    'image and runs every registry operation on it, showing the Globus calls behind each\n' +
    'step. Needs no Globus account; the temporary folder is removed at the end.',
  examples: ['sregistry-globus demo', 'sregistry-globus demo --json', 'npm run demo'],
  globus: false,
  registry: false,
  run: runDemo,
};

/**
 * Failed answers the demo shows on purpose, said as such: the registry root is looked for
 * before one exists, and Globus refuses a folder whose parent is missing, after which the
 * core makes the folders one by one.
 */
function expectedFailure(call: DemoCall, step: string): string | undefined {
  if (call.status === 404 && call.path.endsWith('/stat') && step.startsWith('looking for the registry root'))
    return 'no registry at this candidate root yet';
  if (call.status === 502 && call.path.endsWith('/mkdir'))
    return 'Globus refuses a folder whose parent is missing; the core then makes each level';
  return undefined;
}

async function runDemo(ctx: CommandContext) {
  const { output, signal } = ctx;
  const steps: DemoStep[] = [];
  let current: DemoStep | undefined;
  const say = (text: string) => output.result(text);
  const begin = (title: string): DemoStep => {
    signal.throwIfAborted();
    current = { step: steps.length + 1, title, calls: [], result: null };
    steps.push(current);
    say(`\n[${current.step}/${TOTAL_STEPS}] ${title}`);
    return current;
  };
  const onCall = (call: ApiCallLike) => {
    const entry: DemoCall = {
      method: call.method,
      path: urlPath(call.url),
      status: call.status,
      requestId: call.requestId ?? null,
    };
    const why = expectedFailure(entry, lastStep);
    if (why) entry.expected = why;
    current?.calls.push(entry);
    if (!output.mode.quiet)
      say(
        `      ${entry.method} ${entry.path} -> ${entry.status}${entry.expected ? `  (expected: ${entry.expected})` : ''}`,
      );
  };
  let lastStep = '';
  const onEvent = (event: RegistryEvent) => {
    if (event.type === 'call') onCall(event.call);
    else {
      lastStep = event.message;
      if (!output.mode.quiet) say(`    - ${event.message}`);
    }
  };
  const show = (text: string) =>
    say(
      text
        .replace(/\n$/, '')
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n'),
    );

  const tmp = await mkdtemp(join(tmpdir(), 'sregistry-demo-'));
  let sandbox: RunningSandbox | undefined;
  let registry: Registry | undefined;
  try {
    let step = begin('Start a Globus sandbox in this process');
    const dataDir = join(tmp, 'sandbox');
    const home = join(tmp, 'home');
    await mkdir(home, { recursive: true });
    // Loaded here, not at start-up: the other commands never need the sandbox.
    const [{ startSandbox }, { defaultWorld }] = await Promise.all([
      import('../../sandbox/sandbox.js'),
      import('../../sandbox/config/default-world.js'),
    ]);
    const world = defaultWorld({ dataDir, home });
    const [personal, collection] = world.endpoints;
    const client = world.clients[0];
    if (!personal || !collection || !client) throw new Error('the default sandbox world lacks an endpoint or a client');
    // The personal endpoint reaches only the demo's temp folder, like a GCP config-paths line.
    personal.configPaths = [{ path: tmp, shareable: false, writable: true }];
    if (collection.root) await mkdir(collection.root, { recursive: true });
    output.redactor.add(client.secret);
    sandbox = await startSandbox({ world, dataDir });
    step.result = {
      url: sandbox.url,
      personalEndpoint: personal.id,
      collection: collection.id,
      httpsServer: collection.httpsServer ?? null,
    };
    show(
      [
        `sandbox at ${sandbox.url} (temp folder ${tmp})`,
        `personal endpoint  ${personal.id}  (like Globus Connect Personal, limited to the temp folder)`,
        `guest collection   ${collection.id}  (HTTPS at ${collection.httpsServer ?? '-'})`,
      ].join('\n'),
    );

    const base: RegistryOptions = {
      globus: {
        clientId: client.id,
        clientSecret: client.secret,
        authUrl: `${sandbox.url}/`,
        transferUrl: `${sandbox.url}/`,
      },
      storage: join(tmp, 'storage'),
      database: join(tmp, 'sregistry.db'),
      timeoutMs: 20_000,
      pollMs: 100,
      maxPollMs: 500,
      onEvent,
      ...(ctx.hooks.onProgress ? { onProgress: ctx.hooks.onProgress } : {}),
    };
    // One Registry serves both transports: HTTPS by default, a Transfer task where a call asks for one.
    registry = new Registry({ ...base, transport: 'https', localEndpoint: personal.id });
    const remote = `globus://${collection.id}/demo/hello`;

    step = begin('Make a small SIF image with labels');
    const file = join(tmp, 'hello.sif');
    const { size } = await writeSif(file, {
      definition: 'Bootstrap: scratch\n%labels\n    org.opencontainers.image.title hello\n',
      labels: {
        'org.opencontainers.image.title': 'hello',
        'org.opencontainers.image.version': '1.0',
        maintainer: 'sregistry-globus demo',
      },
      payloadBytes: randomBytes(256 * 1024),
    });
    step.result = { file, size };
    show(`${file} (${formatBytes(size)})`);

    step = begin('Push it over HTTPS with the tags latest and v1');
    const pushed = await registry.push(file, `${remote}:latest`, { tags: ['v1'], source: { made_by: 'demo' }, signal });
    step.result = pushed;
    show(imageTable(pushed));

    step = begin("Search the collection's registry");
    const hits = await registry.search('hello', { endpoint: collection.id, signal });
    step.result = hits;
    show(searchTable(hits));

    step = begin('Record the latest tag locally, without downloading');
    const recorded = await registry.record(`${remote}:latest`, { signal });
    step.result = recorded;
    show(`${recorded.status} ${recorded.uri}`);

    step = begin('Pull v1 with a Globus Transfer task to the personal endpoint');
    const pulled = await registry.pull(`${remote}:v1`, { signal, transport: 'transfer' });
    step.result = pulled;
    show(`${pulled.status} ${pulled.uri}\n-> ${pulled.image ?? '?'}${pulled.taskId ? ` (task ${pulled.taskId})` : ''}`);

    step = begin('Inspect the local record of demo/hello:v1');
    const inspected = await registry.inspect('demo/hello:v1');
    if (!inspected)
      throw new SregistryError('NOT_FOUND', 'The demo found no local record of demo/hello:v1 after pulling it');
    step.result = inspected;
    show(localDetails({ ...inspected, manifest: undefined }));

    step = begin('List the local images');
    const local = await registry.images();
    step.result = local;
    show(localTable(local));

    step = begin('Delete the tag v1 from the registry');
    const deleted = await registry.delete(`${remote}:v1`, { signal });
    step.result = deleted;
    show(deletedText(deleted));

    say(
      [
        '',
        'Done: the sandbox stops and its temp folder is removed.',
        '',
        'What to try next:',
        '  sregistry-globus sandbox                 a sandbox that stays up; it prints the GLOBUS_* variables to export',
        '  sregistry-globus push ./my.sif globus://<collection id it printed>/lab/mine:v1',
        '  sregistry-globus images                  the images recorded on this machine',
        '  sregistry-globus --help                  every command; "sregistry-globus <command> --help" for one',
        'With real Globus: register a confidential client, then "sregistry-globus doctor --probe globus://<collection>"',
        '(README.md, "Using it with real Globus").',
      ].join('\n'),
    );
    return { json: { ok: true, steps }, text: '' };
  } catch (err) {
    if (signal.aborted && !(err instanceof SregistryError))
      throw new SregistryError('ABORTED', 'The demo was interrupted', { cause: err });
    throw err;
  } finally {
    await registry?.close().catch(() => undefined);
    await sandbox?.close().catch(() => undefined);
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
  }
}
