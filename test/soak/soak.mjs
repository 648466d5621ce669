// Soak: the sandbox (a child process) and one Registry (this process) doing mixed
// operations for SOAK_MINUTES (default 30): push new bytes to a rotating tag, pull over
// HTTPS and over Transfer, record, search, list local images, delete. RSS and open file
// descriptors of both processes are sampled every SOAK_SAMPLE_SECONDS (default 10) and,
// after a warm-up (the first fifth, at most 5 minutes), must stay within a bound of the
// warm-up's last level. Writes the figures to docs/RELIABILITY.soak.json (or
// SOAK_OUTPUT). Needs `npm run build` first; `npm run test:soak` does both.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from '../../lib/index.js';
import { closeHttp } from '../../lib/core/http/index.js';
import { writeSif } from '../../lib/core/sif.js';
import { startSandboxChild, stopChild } from '../../bench/support/sandbox-child.mjs';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const MINUTES = Number(process.env.SOAK_MINUTES ?? 30);
const SAMPLE_MS = Number(process.env.SOAK_SAMPLE_SECONDS ?? 10) * 1000;
const OUTPUT = process.env.SOAK_OUTPUT ?? join(repo, 'docs', 'RELIABILITY.soak.json');
/** Growth allowed after warm-up: RSS in MB, file descriptors in count. */
const RSS_BOUND_MB = Number(process.env.SOAK_RSS_BOUND_MB ?? 40);
const FD_BOUND = Number(process.env.SOAK_FD_BOUND ?? 8);
if (!(MINUTES > 0)) throw new Error('SOAK_MINUTES must be a positive number');

async function rssMB(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)\s+kB$/m.exec(status)[1]) / 1024;
}
const fdCount = async (pid) => (await readdir(`/proc/${pid}/fd`)).length;

const tmp = await mkdtemp(join(tmpdir(), 'sregistry-soak-'));
const { child, start } = await startSandboxChild(join(tmp, 'sandbox'), (info) => {
  const collection = info?.endpoints?.find((e) => e.https_server);
  const personal = info?.endpoints?.find((e) => e.entity_type === 'GCP_mapped_collection');
  return info?.client_id && collection && personal ? { info, collection, personal } : undefined;
});
const { info, collection, personal } = start;
const registry = new Registry({
  globus: { clientId: info.client_id, clientSecret: info.client_secret, authUrl: info.auth_url, transferUrl: info.transfer_url },
  storage: join(tmp, 'storage'),
  database: join(tmp, 'sregistry.db'),
  localEndpoint: personal.id,
  pollMs: 100,
  maxPollMs: 500,
});

const ops = { push: 0, pull_https: 0, pull_transfer: 0, record: 0, search: 0, images: 0, delete: 0 };
const failures = [];
const samples = [];
const began = Date.now();
const until = began + MINUTES * 60_000;

async function sample() {
  samples.push({
    t: Math.round((Date.now() - began) / 1000),
    operations: Object.values(ops).reduce((a, b) => a + b, 0),
    client: { rssMB: await rssMB(process.pid), fds: await fdCount(process.pid) },
    sandbox: { rssMB: await rssMB(child.pid), fds: await fdCount(child.pid) },
  });
}

async function cycle(i) {
  const file = join(tmp, 'image.sif');
  await writeSif(file, { payloadBytes: Buffer.alloc(128 * 1024, i % 251), created: new Date(i * 1000) });
  const base = `globus://${collection.id}/soak/app`;
  const tag = `t${i % 4}`;
  await registry.push(file, `${base}:${tag}`);
  ops.push++;
  await registry.pull(`${base}:${tag}`, {});
  ops.pull_https++;
  if (i % 3 === 0) {
    const viaTransfer = new Registry({ ...registry.options, transport: 'transfer' });
    try {
      await rm(join(tmp, 'storage', 'soak'), { recursive: true, force: true });
      await viaTransfer.pull(`${base}:${tag}`);
      ops.pull_transfer++;
    } finally {
      await viaTransfer.close();
    }
  }
  await registry.record(`${base}:${tag}`);
  ops.record++;
  await registry.search('app', { endpoint: collection.id });
  ops.search++;
  await registry.images('soak/app');
  ops.images++;
  if (i % 4 === 3) {
    for (let t = 0; t < 4; t++) await registry.delete(`${base}:t${t}`);
    ops.delete += 4;
    await rm(join(tmp, 'storage', 'soak'), { recursive: true, force: true });
  }
}

let nextSample = 0;
try {
  for (let i = 0; Date.now() < until; i++) {
    try {
      await cycle(i);
    } catch (err) {
      failures.push({ cycle: i, code: err?.code ?? 'INTERNAL', message: String(err?.message ?? err).slice(0, 300) });
      if (failures.length > 5) throw new Error(`soak: too many failed cycles: ${JSON.stringify(failures)}`);
    }
    if (Date.now() >= nextSample) {
      await sample();
      nextSample = Date.now() + SAMPLE_MS;
    }
  }
  await sample();
} finally {
  await registry.close();
  await closeHttp();
  await stopChild(child);
  await rm(tmp, { recursive: true, force: true });
}

// The warm-up's last level is the baseline; afterwards nothing may grow past the bounds.
const warmupS = Math.min(300, (MINUTES * 60) / 5);
const after = samples.filter((s) => s.t >= warmupS);
const baseline = samples.filter((s) => s.t < warmupS).at(-1) ?? samples[0];
const growth = (who, key) => Math.max(...after.map((s) => s[who][key])) - baseline[who][key];
const figures = {
  finished: new Date().toISOString(),
  minutes: MINUTES,
  warmupSeconds: warmupS,
  operations: ops,
  failedCycles: failures,
  bounds: { rssMB: RSS_BOUND_MB, fds: FD_BOUND },
  client: {
    rssMB: { baseline: round(baseline.client.rssMB), max: round(Math.max(...after.map((s) => s.client.rssMB))), last: round(samples.at(-1).client.rssMB), growth: round(growth('client', 'rssMB')) },
    fds: { baseline: baseline.client.fds, max: Math.max(...after.map((s) => s.client.fds)), last: samples.at(-1).client.fds, growth: growth('client', 'fds') },
  },
  sandbox: {
    rssMB: { baseline: round(baseline.sandbox.rssMB), max: round(Math.max(...after.map((s) => s.sandbox.rssMB))), last: round(samples.at(-1).sandbox.rssMB), growth: round(growth('sandbox', 'rssMB')) },
    fds: { baseline: baseline.sandbox.fds, max: Math.max(...after.map((s) => s.sandbox.fds)), last: samples.at(-1).sandbox.fds, growth: growth('sandbox', 'fds') },
  },
  samples,
};
function round(n) {
  return Math.round(n * 10) / 10;
}

const problems = [];
for (const who of ['client', 'sandbox']) {
  if (figures[who].rssMB.growth > RSS_BOUND_MB) problems.push(`${who} RSS grew ${figures[who].rssMB.growth} MB after warm-up (bound ${RSS_BOUND_MB})`);
  if (figures[who].fds.growth > FD_BOUND) problems.push(`${who} open fds grew by ${figures[who].fds.growth} after warm-up (bound ${FD_BOUND})`);
}
if (failures.length > 0) problems.push(`${failures.length} cycle(s) failed: ${failures.map((f) => f.code).join(', ')}`);
figures.passed = problems.length === 0;
await writeFile(OUTPUT, `${JSON.stringify(figures, null, 2)}\n`);
const line = (who) => `${who}: RSS ${figures[who].rssMB.baseline} → max ${figures[who].rssMB.max} MB, fds ${figures[who].fds.baseline} → max ${figures[who].fds.max}`;
console.log(`soak ${MINUTES} min, ${samples.at(-1).operations} operations; ${line('client')}; ${line('sandbox')}; figures in ${OUTPUT}`);
if (problems.length > 0) {
  console.error(`soak failed: ${problems.join('; ')}`);
  process.exitCode = 1;
}
