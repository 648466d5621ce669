/**
 * Node-RED test support: the real runtime through node-red-node-test-helper, the
 * sregistry nodes, and flows whose config node points at a test sandbox.
 */
import { createRequire } from 'node:module';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestSandbox } from '../support/sandbox.js';

const require = createRequire(import.meta.url);

export interface StatusCall {
  fill?: string;
  shape?: string;
  text?: string;
}

/** The helper's node instance as far as the tests use it. */
export interface HelperNode {
  id: string;
  on(event: string, cb: (...args: unknown[]) => void): void;
  receive(msg: Record<string, unknown>): void;
  status(status: StatusCall): void;
}

export interface Helper {
  init(runtimePath: string, settings?: Record<string, unknown>): void;
  load(nodes: unknown[], flow: object[], credentials?: Record<string, unknown>): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): HelperNode;
  startServer(): Promise<void>;
  stopServer(): Promise<void>;
}

export const helper = require('node-red-node-test-helper') as Helper;
helper.init(require.resolve('node-red'));

/** The package's node modules, as Node-RED would load them from the "node-red" section. */
export const sregistryNodes = ['globus-client', 'pull', 'record', 'search', 'push', 'delete', 'watch'].map(
  (n) => require(`../../nodes/sregistry-${n}.js`) as unknown,
);
export const catchNode = require('@node-red/nodes/core/common/25-catch.js') as unknown;

export const CLIENT_ID = 'client';

/** The config node of a flow: the sandbox's URLs and collection; storage and database in its temp folder. */
export function clientConfig(sb: TestSandbox, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: CLIENT_ID,
    type: 'sregistry-globus-client',
    name: 'sandbox',
    authUrl: `${sb.url}/`,
    transferUrl: `${sb.url}/`,
    endpoint: sb.collection.id,
    root: '',
    transport: 'auto',
    localEndpoint: '',
    storage: join(sb.tmp, 'storage'),
    database: join(sb.tmp, 'sregistry.db'),
    ...extra,
  };
}

export const clientCredentials = (sb: TestSandbox): Record<string, unknown> => ({
  [CLIENT_ID]: { clientId: sb.client.id, clientSecret: sb.client.secret },
});

/** Resolves with the next message a helper node receives. */
export function nextMessage(node: HelperNode): Promise<Record<string, unknown>> {
  return new Promise((resolve) => node.on('input', (msg) => resolve(msg as Record<string, unknown>)));
}

/** Every status a node sets from now on, in order. */
export function recordStatuses(node: HelperNode): StatusCall[] {
  const seen: StatusCall[] = [];
  const set = node.status.bind(node);
  node.status = (status: StatusCall) => {
    seen.push(status);
    set(status);
  };
  return seen;
}

/** Polls `check` until it returns a value other than undefined/false, for at most `ms`. */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 20000,
  what = 'condition',
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const got = await check();
    if (got !== undefined && got !== false) return got;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** All files (hidden ones too) below a folder; [] when it does not exist. */
export async function filesBelow(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => !e.isDirectory()).map((e) => join(e.parentPath, e.name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
