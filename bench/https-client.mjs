// Throughput of the core's collection HTTPS client against a plain `fetch` of the same
// file, both talking to a sandbox started in this process, and this process's peak RSS.
// The client hashes (SHA-256) every byte while it moves it; fetch only moves them.
// Run after `npm run build`:
//   node bench/https-client.mjs [--size-mib N] [--rounds N]
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { startSandbox } from '../lib/sandbox/sandbox.js';
import { defaultWorld } from '../lib/sandbox/config/default-world.js';
import { TokenSource, collectionHttpsScope } from '../lib/core/auth/index.js';
import { closeHttp } from '../lib/core/http/index.js';
import { CollectionHttpsClient } from '../lib/core/collection/index.js';
import { numberOption } from './support/options.mjs';
import { CHUNK, patternChunks } from './support/pattern.mjs';

const SIZE = numberOption('--size-mib', 512) * 1024 * 1024;
const ROUNDS = Math.max(1, numberOption('--rounds', 3));

/** Writes `size` bytes that differ chunk by chunk, one chunk at a time; answers their SHA-256. */
async function generate(file, size) {
  const hash = createHash('sha256');
  const handle = await open(file, 'w');
  try {
    let sent = 0;
    for (const chunk of patternChunks(size)) {
      hash.update(chunk);
      await handle.write(chunk, 0, chunk.length, sent);
      sent += chunk.length;
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

async function fetchUpload(url, token, file) {
  const { size } = await stat(file);
  const res = await fetch(url, {
    method: 'PUT',
    headers: {
      authorization: `Bearer ${token}`,
      'content-length': String(size),
      'content-type': 'application/octet-stream',
    },
    body: Readable.toWeb(createReadStream(file, { highWaterMark: CHUNK })),
    duplex: 'half',
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`fetch PUT answered ${res.status}`);
}

async function fetchDownload(url, token, destination) {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200 || !res.body) throw new Error(`fetch GET answered ${res.status}`);
  await pipeline(Readable.fromWeb(res.body), createWriteStream(destination));
}

/** Seconds `work` took. */
async function timed(work) {
  const began = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - began) / 1e9;
}

const mibPerSecond = (seconds) => SIZE / 1024 / 1024 / seconds;

const tmp = await mkdtemp(join(tmpdir(), 'https-client-bench-'));
const dataDir = join(tmp, 'sandbox');
const world = defaultWorld({ dataDir, home: tmp });
for (const e of world.endpoints) if (e.root) await mkdir(e.root, { recursive: true });
const sb = await startSandbox({ world, dataDir });
let failed = false;
try {
  const collection = world.endpoints.find((e) => e.httpsServer);
  const target = { httpsServer: collection.httpsServer, collectionId: collection.id };
  const tokens = new TokenSource({
    clientId: world.clients[0].id,
    clientSecret: world.clients[0].secret,
    authUrl: sb.url,
  });
  const client = new CollectionHttpsClient({ tokens });
  const token = await tokens.getToken(collectionHttpsScope(collection.id));
  const source = join(tmp, 'source.bin');
  const expected = await generate(source, SIZE);
  const url = (name) => client.url(target, `/${name}`);

  const peakMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
  const best = { fetchUp: Infinity, clientUp: Infinity, fetchDown: Infinity, clientDown: Infinity };
  let intact = true;
  // The client's rounds run first, so the peak RSS read after them is the client's (and the in-process sandbox's) alone.
  for (let round = 0; round < ROUNDS; round++) {
    let up;
    best.clientUp = Math.min(
      best.clientUp,
      await timed(async () => (up = await client.upload(target, '/client.bin', { file: source }))),
    );
    let down;
    best.clientDown = Math.min(
      best.clientDown,
      await timed(async () => (down = await client.download(target, '/client.bin', join(tmp, 'client-down.bin')))),
    );
    intact &&= up.sha256 === expected && down.sha256 === expected && up.size === SIZE && down.size === SIZE;
  }
  const clientPeak = peakMb();
  for (let round = 0; round < ROUNDS; round++) {
    best.fetchUp = Math.min(best.fetchUp, await timed(() => fetchUpload(url('fetch.bin'), token, source)));
    best.fetchDown = Math.min(
      best.fetchDown,
      await timed(() => fetchDownload(url('fetch.bin'), token, join(tmp, 'fetch-down.bin'))),
    );
  }
  console.log(
    `${SIZE / 1024 / 1024} MiB, best of ${ROUNDS} rounds; client SHA-256 ${intact ? 'matches' : 'DIFFERS'} (${expected})`,
  );
  console.log(`fetch upload:    ${mibPerSecond(best.fetchUp).toFixed(0)} MiB/s`);
  console.log(
    `client upload:   ${mibPerSecond(best.clientUp).toFixed(0)} MiB/s = ${(best.fetchUp / best.clientUp).toFixed(2)}× fetch`,
  );
  console.log(`fetch download:  ${mibPerSecond(best.fetchDown).toFixed(0)} MiB/s`);
  console.log(
    `client download: ${mibPerSecond(best.clientDown).toFixed(0)} MiB/s = ${(best.fetchDown / best.clientDown).toFixed(2)}× fetch`,
  );
  console.log(
    `peak RSS of this process after the client's rounds (client and sandbox): ${clientPeak} MB; after the fetch rounds too: ${peakMb()} MB`,
  );
  failed = !intact;
} catch (err) {
  console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
  failed = true;
} finally {
  await closeHttp();
  await sb.close();
  await rm(tmp, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
