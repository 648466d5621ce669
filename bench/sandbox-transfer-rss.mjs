// Peak memory of the sandbox while a Transfer task moves a large file: a sparse 2 GiB
// file on the personal endpoint is copied to the guest collection (verify_checksum on, so
// it is read twice and hashed), then the sandbox process's high-water RSS (VmHWM) is read
// from /proc. Not part of the test suite. Run after `npm run build`:
//   node bench/sandbox-transfer-rss.mjs [--size-mib N] [--limit-mb N]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { URLSearchParams, fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at === -1 ? fallback : Number(args[at + 1]);
};
const SIZE = option('--size-mib', 2048) * 1024 * 1024;
const LIMIT_MB = option('--limit-mb', 200);
const TRANSFER_SCOPE = 'urn:globus:auth:scope:transfer.api.globus.org:all';
const repo = fileURLToPath(new URL('..', import.meta.url));

/** Starts a child node process and resolves with the JSON of its first stdout line (or undefined). */
async function startChild(childArgs) {
  const child = spawn(process.execPath, childArgs, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  let buffered = '';
  const line = await new Promise((resolve) => {
    child.stdout.on('data', (c) => {
      buffered += c;
      const end = buffered.indexOf('\n');
      if (end !== -1) resolve(buffered.slice(0, end));
    });
    child.once('exit', () => resolve(undefined));
  });
  child.stdout.resume();
  let info;
  try {
    info = line === undefined ? undefined : JSON.parse(line);
  } catch {
    info = undefined;
  }
  return { child, info, stderr: () => stderr };
}

/** Fallback while `bin/sandbox.js --json` is not available: a tiny script on the built library. */
function fallbackScript(dataDir) {
  const lib = (p) => JSON.stringify(new URL(`../lib/sandbox/${p}`, import.meta.url).href);
  return `
    import { mkdir } from 'node:fs/promises';
    import { startSandbox } from ${lib('sandbox.js')};
    import { defaultWorld } from ${lib('world.js')};
    const dataDir = ${JSON.stringify(dataDir)};
    const world = defaultWorld({ dataDir });
    for (const e of world.endpoints) if (e.root) await mkdir(e.root, { recursive: true });
    const sb = await startSandbox({ world, dataDir });
    const client = world.clients[0];
    console.log(JSON.stringify({ url: sb.url, client_id: client.id, client_secret: client.secret,
      endpoints: world.endpoints.map((e) => ({ id: e.id, folder: e.root ?? null, config_paths: e.configPaths ?? null })) }));
    process.on('SIGTERM', () => sb.close().then(() => process.exit(0)));
  `;
}

/** Origin, credentials, the personal endpoint and the guest collection from the start line. */
function readStartInfo(info) {
  if (!info || typeof info !== 'object') return undefined;
  const origin = info.url ?? info.auth_url;
  const endpoints = info.endpoints ?? [];
  const personal = endpoints.find((e) => Array.isArray(e.config_paths));
  const collection = endpoints.find((e) => e.folder && !Array.isArray(e.config_paths));
  if (!origin || !info.client_id || !info.client_secret || !personal || !collection) return undefined;
  return { origin, clientId: info.client_id, clientSecret: info.client_secret, personalId: personal.id, collectionId: collection.id, folder: collection.folder };
}

async function transferToken({ origin, clientId, clientSecret }) {
  const res = await fetch(new URL('/v2/oauth2/token', origin), {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: TRANSFER_SCOPE }),
  });
  if (!res.ok) throw new Error(`Token request failed: ${res.status} ${await res.text()}`);
  return (await res.json()).access_token;
}

async function transferApi(origin, token, method, path, body) {
  const res = await fetch(new URL(`/v0.10/${path}`, origin), {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = await res.json();
  if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

async function peakRssKiB(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error('VmHWM not found in /proc status');
  return Number(match[1]);
}

const dataDir = await mkdtemp(join(tmpdir(), 'sandbox-transfer-rss-'));
let started = await startChild(['bin/sandbox.js', '--json', '--data', dataDir]);
let start = readStartInfo(started.info);
if (!start) {
  started.child.kill('SIGTERM');
  console.log('(bin/sandbox.js --json did not print a usable start line; using the library directly)');
  started = await startChild(['--input-type=module', '-e', fallbackScript(dataDir)]);
  start = readStartInfo(started.info);
  if (!start) throw new Error(`Sandbox did not start: ${started.stderr().trim().split('\n')[0] ?? ''}`);
}
const { child } = started;
let failed = false;
try {
  // The data folder is one of the personal endpoint's config-paths, and a sparse file costs no disk.
  const source = join(dataDir, 'rss-source.bin');
  await writeFile(source, '');
  await truncate(source, SIZE);
  const token = await transferToken(start);
  const { value: submissionId } = await transferApi(start.origin, token, 'GET', 'submission_id');
  const began = Date.now();
  const submitted = await transferApi(start.origin, token, 'POST', 'transfer', {
    DATA_TYPE: 'transfer',
    submission_id: submissionId,
    source_endpoint: start.personalId,
    destination_endpoint: start.collectionId,
    verify_checksum: true,
    DATA: [{ DATA_TYPE: 'transfer_item', source_path: source, destination_path: '/rss-bench.bin' }],
  });
  let task;
  for (;;) {
    task = await transferApi(start.origin, token, 'GET', `task/${submitted.task_id}`);
    if (task.status !== 'ACTIVE') break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const seconds = (Date.now() - began) / 1000;
  const landed = await stat(join(start.folder, 'rss-bench.bin')).catch(() => undefined);
  const ok = task.status === 'SUCCEEDED' && landed?.size === SIZE && task.bytes_transferred === SIZE;
  console.log(`task ${task.status}: ${task.bytes_transferred} bytes in ${seconds.toFixed(1)} s (${task.effective_bytes_per_second} B/s)${task.fatal_error ? `, ${task.fatal_error.code}` : ''}`);
  const peakMb = Math.round((await peakRssKiB(child.pid)) / 1024);
  const pass = peakMb < LIMIT_MB;
  console.log(`sandbox peak RSS: ${peakMb} MB (${pass ? 'pass' : 'FAIL'}: limit ${LIMIT_MB} MB)`);
  failed = !ok || !pass;
} catch (err) {
  console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
  failed = true;
} finally {
  child.kill('SIGTERM');
  await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 5000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
