import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from '../../../src/core/registry/registry.js';
import type { RegistryEvent, RegistryOptions, Transport } from '../../../src/core/registry/types.js';
import type { TestSandbox } from '../../support/sandbox.js';
import { imageBytes } from '../../support/files.js';

export interface Harness {
  registry: Registry;
  events: RegistryEvent[];
  storage: string;
}

/**
 * A Registry pointed at the sandbox, with fast polling and retries. The transfer transport
 * gets the personal endpoint as its local endpoint unless `extra` sets one (undefined: none).
 */
export function makeRegistry(
  sb: TestSandbox,
  transport: Transport | 'auto',
  extraOptions: Omit<Partial<RegistryOptions>, 'localEndpoint'> & { localEndpoint?: string | undefined } = {},
  tag = 'r',
): Harness {
  const { localEndpoint: ownLocal, ...extra } = extraOptions;
  const localEndpoint =
    'localEndpoint' in extraOptions ? ownLocal : transport === 'transfer' ? sb.personal.id : undefined;
  const events: RegistryEvent[] = [];
  const storage = join(sb.tmp, `storage-${tag}`);
  const registry = new Registry({
    globus: { clientId: sb.client.id, clientSecret: sb.client.secret, authUrl: sb.url, transferUrl: sb.url },
    transport,
    storage,
    database: join(sb.tmp, `records-${tag}.db`),
    pollMs: 10,
    taskErrorGraceMs: 1000,
    maxPollMs: 40,
    // A 429 without Retry-After is waited out in 1 s steps here, not Globus's 10 s window.
    retry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 20, rateLimitWindowMs: 1000 },
    ...(localEndpoint !== undefined ? { localEndpoint } : {}),
    onEvent: (e) => events.push(e),
    ...extra,
  });
  return { registry, events, storage };
}

/** A file of random bytes behind the SIF magic in the test folder. */
export async function randomFile(sb: TestSandbox, name: string, size = 64 * 1024): Promise<string> {
  const dir = join(sb.tmp, 'files');
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await writeFile(path, imageBytes(size));
  return path;
}

/** Every file below a folder on disk, relative, sorted. */
export async function filesBelow(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, prefix: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) await walk(join(d, e.name), `${prefix}${e.name}/`);
      else out.push(`${prefix}${e.name}`);
    }
  };
  await walk(dir, '');
  return out.sort();
}

/** Request log entries from `since` on, as `METHOD path` (origin `main` or `https`). */
export function requests(
  sb: TestSandbox,
  since: number,
): Array<{ origin: string; method: string; path: string; status: number; fault?: string }> {
  return sb.context.faults.requestsSince(since).map((r) => ({
    origin: r.origin === 'main' ? 'main' : 'https',
    method: r.method,
    path: r.path,
    status: r.status,
    ...(r.fault ? { fault: r.fault } : {}),
  }));
}

export const logIndex = (sb: TestSandbox): number => sb.context.faults.requestsSince(0).length;

/** The calls an operation made, shortened to `METHOD /v0.10/<op>` or `PUT https`. */
export function callSummary(list: ReturnType<typeof requests>): string[] {
  return list
    .filter((r) => !r.path.startsWith('/v2/') && !r.path.startsWith('/.well-known/'))
    .map((r) => {
      if (r.origin === 'https') return `${r.method} https`;
      const p = r.path
        .replace(/^\/v0\.10\//, '')
        .replace(/^operation\/endpoint\/[^/]+\//, '')
        .replace(/^endpoint\/[^/]+$/, 'endpoint')
        .replace(/^task\/[^/]+$/, 'task');
      return `${r.method} ${p}`;
    });
}
