// Peak memory of the sandbox while it moves a large file over its collection HTTPS
// server: PUT a generated 2 GiB stream, GET it back hashing on the fly, then read the
// sandbox process's high-water RSS (VmHWM) from /proc. Run after `npm run build`:
//   node bench/sandbox-rss.mjs [--size-mib N] [--limit-mb N]
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { URLSearchParams, fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at === -1 ? fallback : Number(args[at + 1]);
};
const SIZE = option('--size-mib', 2048) * 1024 * 1024;
const LIMIT_MB = option('--limit-mb', 200);
const CHUNK = 1024 * 1024;
const repo = fileURLToPath(new URL('..', import.meta.url));

/** Starts the sandbox as a child process and resolves with what it printed on its first line. */
async function startChild(command, childArgs) {
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
  return { child, info, describe: `${command}${stderr ? `: ${stderr.trim().split('\n')[0]}` : ''}` };
}

/** Pulls origin, credentials and the HTTPS collection out of the sandbox's JSON line, whatever its exact shape. */
function readStartInfo(info) {
  if (!info || typeof info !== 'object') return undefined;
  const client = info.client ?? info.clients?.[0] ?? {};
  const clientId = info.client_id ?? client.client_id ?? client.id;
  const clientSecret = info.client_secret ?? client.client_secret ?? client.secret;
  const origin = info.auth_url ?? info.url ?? info.origin ?? info.auth;
  const collection = (info.endpoints ?? []).find((e) => e.https_server);
  if (!clientId || !clientSecret || !origin || !collection) return undefined;
  return { origin, clientId, clientSecret, collectionId: collection.id, httpsServer: collection.https_server };
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
      endpoints: world.endpoints.map((e) => ({ id: e.id, https_server: e.httpsServer ?? null })) }));
    process.on('SIGTERM', () => sb.close().then(() => process.exit(0)));
  `;
}

async function httpsToken({ origin, clientId, clientSecret, collectionId }) {
  const res = await fetch(new URL('/v2/oauth2/token', origin), {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: `https://auth.globus.org/scopes/${collectionId}/https` }),
  });
  if (!res.ok) throw new Error(`Token request failed: ${res.status} ${await res.text()}`);
  const body = await res.json();
  const all = [body, ...(body.other_tokens ?? [])];
  const found = all.find((t) => String(t.scope).split(' ').includes(`https://auth.globus.org/scopes/${collectionId}/https`));
  return (found ?? body).access_token;
}

/** `size` bytes that differ chunk by chunk, made as they are sent; hashes them on the way. */
function generated(size, hash) {
  const block = Buffer.alloc(CHUNK);
  for (let i = 0; i < CHUNK; i++) block[i] = (i * 2654435761) >>> 24;
  return Readable.from(
    (function* () {
      for (let sent = 0, n = 0; sent < size; n++) {
        const chunk = Buffer.from(block.subarray(0, Math.min(CHUNK, size - sent)));
        chunk.writeUInt32BE(n, 0);
        hash.update(chunk);
        sent += chunk.length;
        yield chunk;
      }
    })(),
    { objectMode: false },
  );
}

async function put(url, token, size) {
  const hash = createHash('sha256');
  const req = request(url, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-length': String(size), 'content-type': 'application/octet-stream' } });
  const answered = once(req, 'response');
  await pipeline(generated(size, hash), req);
  const [res] = await answered;
  let text = '';
  for await (const c of res) text += c;
  if (res.statusCode !== 200) throw new Error(`PUT answered ${res.statusCode}: ${text}`);
  return hash.digest('hex');
}

async function get(url, token) {
  const req = request(url, { headers: { authorization: `Bearer ${token}` } });
  req.end();
  const [res] = await once(req, 'response');
  if (res.statusCode !== 200) throw new Error(`GET answered ${res.statusCode}`);
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of res) {
    bytes += chunk.length;
    hash.update(chunk);
  }
  return { digest: hash.digest('hex'), bytes };
}

async function peakRssKiB(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error('VmHWM not found in /proc status');
  return Number(match[1]);
}

const dataDir = await mkdtemp(join(tmpdir(), 'sandbox-rss-'));
let started = await startChild('bin/sandbox.js --json', ['bin/sandbox.js', '--json', '--data', dataDir]);
let start = readStartInfo(started.info);
if (!start) {
  started.child.kill('SIGTERM');
  console.log(`(${started.describe} did not print its start line; using the library directly)`);
  started = await startChild('library fallback', ['--input-type=module', '-e', fallbackScript(dataDir)]);
  start = readStartInfo(started.info);
  if (!start) throw new Error(`Sandbox did not start: ${started.describe}`);
}
const { child } = started;
let failed = false;
try {
  const token = await httpsToken(start);
  const url = `${start.httpsServer}/rss-bench.bin`;
  const began = Date.now();
  const sent = await put(url, token, SIZE);
  const got = await get(url, token);
  const seconds = (Date.now() - began) / 1000;
  const intact = got.digest === sent && got.bytes === SIZE;
  console.log(`moved ${SIZE / 1024 / 1024} MiB up and down in ${seconds.toFixed(1)} s; SHA-256 ${intact ? 'matches' : 'DIFFERS'} (${got.digest})`);
  const peakMb = Math.round((await peakRssKiB(child.pid)) / 1024);
  const pass = peakMb < LIMIT_MB;
  console.log(`sandbox peak RSS: ${peakMb} MB (${pass ? 'pass' : 'FAIL'}: limit ${LIMIT_MB} MB)`);
  failed = !intact || !pass;
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
