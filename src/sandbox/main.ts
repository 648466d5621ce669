/** `npm run sandbox` / `node bin/sandbox.js`: start the Globus sandbox and run until SIGINT/SIGTERM. */
import { mkdir, mkdtemp, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from './config/checks.js';
import { loadWorld } from './config/load-world.js';
import type { SandboxEndpoint } from './model.js';
import { startSandbox, type RunningSandbox } from './sandbox.js';

export interface MainOptions {
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  /** Stops the sandbox like SIGINT/SIGTERM would (for callers that embed it). */
  signal?: AbortSignal;
}

const HELP = `Usage: sandbox [options]

Runs a local Globus sandbox: Auth, Transfer v0.10 and one HTTPS server per collection,
all on 127.0.0.1, with endpoints that are folders on this machine.

Options:
  --data DIR     folder for the sandbox's files and sandbox.json (ids and secrets are
                 kept there across restarts; created 0700); default: a new temp folder,
                 removed on exit
  --share DIR    a folder of this machine the personal endpoint may reach, read-write
                 (repeatable); by default it reaches only <data>/personal
  --config FILE  JSON world: clients, endpoints, permissions, token_lifetime
                 (see docs/sandbox.md)
  --port N       port of the Auth + Transfer origin (default: any free port)
  --request-log N      requests kept in the log the admin API serves (default 10000)
  --task-history N     finished tasks kept for task_list and task/<id> (default 1000)
  --json         print one line of JSON when ready, nothing else
  --help         show this help
`;

/** What `--json` prints when the sandbox is ready. */
export interface ReadyLine {
  url: string;
  auth_url: string;
  transfer_url: string;
  admin_token: string;
  client_id: string;
  client_secret: string;
  data: string;
  endpoints: {
    id: string;
    display_name: string;
    entity_type: string;
    https_server: string | null;
    folder: string | null;
    config_paths: { path: string; shareable: boolean; writable: boolean }[] | null;
  }[];
}

export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const fail = (message: string, code: number) => {
    stderr.write(`sandbox: ${message}\n`);
    return code;
  };

  let args;
  try {
    args = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        data: { type: 'string' },
        share: { type: 'string', multiple: true },
        config: { type: 'string' },
        port: { type: 'string' },
        'request-log': { type: 'string' },
        'task-history': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (err) {
    return fail(`${(err as Error).message} (try --help)`, 2);
  }
  if (args.help) {
    stdout.write(HELP);
    return 0;
  }
  let port = 0;
  if (args.port !== undefined) {
    if (!/^\d+$/.test(args.port) || Number(args.port) > 65535)
      return fail(`--port must be a number from 0 to 65535, not ${JSON.stringify(args.port)}`, 2);
    port = Number(args.port);
  }

  const bounds: { requestLogLimit?: number; taskHistoryLimit?: number } = {};
  for (const [flag, key] of [
    ['request-log', 'requestLogLimit'],
    ['task-history', 'taskHistoryLimit'],
  ] as const) {
    const value = args[flag];
    if (value === undefined) continue;
    if (!/^[1-9]\d*$/.test(value))
      return fail(`--${flag} must be a positive whole number, not ${JSON.stringify(value)}`, 2);
    bounds[key] = Number(value);
  }

  // Shared folders by their real paths: the endpoint's paths are this machine's, links resolved.
  const shared: string[] = [];
  for (const folder of args.share ?? []) {
    try {
      const real = await realpath(resolve(folder));
      if (!(await stat(real)).isDirectory()) return fail(`--share ${folder} is not a folder`, 2);
      shared.push(real);
    } catch {
      return fail(`--share ${folder}: no such folder; create it first or leave the flag out`, 2);
    }
  }

  const ephemeral = args.data === undefined;
  let dataDir: string;
  if (args.data !== undefined) {
    dataDir = resolve(args.data);
    // It holds the client secret (sandbox.json) and what clients write: for this user only.
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
  } else {
    dataDir = await mkdtemp(join(tmpdir(), 'globus-sandbox-'));
  }
  const cleanup = () => (ephemeral ? rm(dataDir, { recursive: true, force: true }) : Promise.resolve());

  let running: RunningSandbox;
  try {
    const world = await loadWorld({
      dataDir,
      ...(shared.length ? { shared } : {}),
      ...(args.config !== undefined ? { configFile: resolve(args.config) } : {}),
    });
    running = await startSandbox({ world, dataDir, port, persist: true, ...bounds });
  } catch (err) {
    await cleanup();
    if (err instanceof ConfigError) return fail(err.message, 1);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      return fail(`port ${port} is already in use; pick another with --port or leave it out`, 1);
    return fail(`could not start: ${(err as Error).message}`, 1);
  }

  // Listen for the signals before saying "ready", so a caller may stop it right after.
  const stopped = stopRequested(options.signal);
  const ready = readyLine(running, dataDir);
  stdout.write(args.json ? `${JSON.stringify(ready)}\n` : summary(ready, ephemeral));

  await stopped;
  await running.close();
  await cleanup();
  return 0;
}

export function readyLine(running: RunningSandbox, dataDir: string): ReadyLine {
  const client = running.world.clients[0];
  // The official SDKs build request URLs as `/v0.10/...` against the base, so the
  // service URLs are the origin itself.
  const base = `${running.url}/`;
  return {
    url: running.url,
    auth_url: base,
    transfer_url: base,
    admin_token: running.world.adminToken,
    client_id: client?.id ?? '',
    client_secret: client?.secret ?? '',
    data: dataDir,
    endpoints: running.world.endpoints.map(describeEndpoint),
  };
}

function describeEndpoint(e: SandboxEndpoint): ReadyLine['endpoints'][number] {
  return {
    id: e.id,
    display_name: e.displayName,
    entity_type: e.entityType,
    https_server: e.httpsServer ?? null,
    folder: (e.configPaths ? e.home : e.root) ?? null,
    config_paths: e.configPaths ? e.configPaths.map((c) => ({ ...c })) : null,
  };
}

function summary(r: ReadyLine, ephemeral: boolean): string {
  const lines = [
    `Globus sandbox listening on ${r.url}`,
    `  data: ${r.data}${ephemeral ? ' (temporary, removed on exit; use --data DIR to keep it)' : ''}`,
    `  admin API: ${r.url}/_sandbox/ (Authorization: Bearer ${r.admin_token})`,
    '',
    'Endpoints:',
    ...r.endpoints.map((e) => {
      const reaches = e.config_paths ? `; reaches only ${e.config_paths.map((c) => c.path).join(', ')}` : '';
      const where = e.https_server ? `https_server ${e.https_server}, root ${e.folder}` : `home ${e.folder}${reaches}`;
      return `  ${e.id}  ${e.display_name}  (${e.entity_type}; ${where})`;
    }),
    '',
    'Point Globus tools at it:',
    `  export GLOBUS_SDK_SERVICE_URL_AUTH=${r.auth_url}`,
    `  export GLOBUS_SDK_SERVICE_URL_TRANSFER=${r.transfer_url}`,
    `  export GLOBUS_CLIENT_ID=${r.client_id}`,
    `  export GLOBUS_CLIENT_SECRET=${r.client_secret}`,
    '',
    'Press Ctrl-C to stop.',
    '',
  ];
  return lines.join('\n');
}

/** Resolves on SIGINT, SIGTERM or the caller's abort. */
function stopRequested(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolveStop) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      signal?.removeEventListener('abort', stop);
      resolveStop();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop);
  });
}
