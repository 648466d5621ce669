import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type RunningSandbox, type SandboxOptions } from '../../src/sandbox/sandbox.js';
import { defaultWorld } from '../../src/sandbox/config/default-world.js';
import type { SandboxWorld } from '../../src/sandbox/model.js';
import { flushFaults, noteFault } from '../reliability/ledger.js';

export interface TestSandbox extends RunningSandbox {
  /** Temp folder holding everything this sandbox wrote. */
  tmp: string;
  /** The default client. */
  client: { id: string; secret: string };
  personal: SandboxWorld['endpoints'][number];
  collection: SandboxWorld['endpoints'][number];
  stop(): Promise<void>;
}

/**
 * A sandbox on a fresh temp folder. The personal endpoint's home is `<tmp>/home` and it
 * may reach only `<tmp>`, so tests never touch the real home folder. `shape` may change
 * the world before it starts (add clients, permissions, endpoints); `options` are the
 * sandbox's own bounds (request log, task history).
 */
export async function startTestSandbox(
  shape?: (world: SandboxWorld, tmp: string) => void,
  options: Pick<SandboxOptions, 'requestLogLimit' | 'taskHistoryLimit' | 'persist'> = {},
): Promise<TestSandbox> {
  const tmp = await mkdtemp(join(tmpdir(), 'sregistry-test-'));
  const dataDir = join(tmp, 'sandbox');
  const home = join(tmp, 'home');
  await mkdir(home, { recursive: true });
  const world = defaultWorld({ dataDir, home });
  const [personal, collection] = world.endpoints as [
    SandboxWorld['endpoints'][number],
    SandboxWorld['endpoints'][number],
  ];
  personal.configPaths = [{ path: tmp, shareable: false, writable: true }];
  if (collection.root) await mkdir(collection.root, { recursive: true });
  shape?.(world, tmp);
  const running = await startSandbox({ world, dataDir, ...options });
  countInjectedFaults(running);
  const client = world.clients[0]!;
  return {
    ...running,
    tmp,
    client,
    personal,
    collection,
    async stop() {
      await running.close();
      flushFaults();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

/** Notes every fault the sandbox injects, for docs/RELIABILITY.md (counted only when the test passes). */
function countInjectedFaults(running: RunningSandbox): void {
  const faults = running.context.faults;
  const take = faults.take.bind(faults);
  const takeTask = faults.takeTask.bind(faults);
  faults.take = (origin, method, path) => {
    const action = take(origin, method, path);
    if (action)
      noteFault({
        origin,
        method,
        path,
        kind: action.kind,
        ...(action.kind === 'status' ? { status: action.status } : {}),
      });
    return action;
  };
  faults.takeTask = (taskType) => {
    const action = takeTask(taskType);
    if (action) noteFault({ origin: 'main', taskType, kind: action.kind });
    return action;
  };
}
