// Soak: the sandbox (a child process) and one Registry (this process) doing mixed
// operations for SOAK_MINUTES (default 30): push new bytes to a rotating tag, pull over
// HTTPS and over Transfer, record, search, list local images, delete, and remove the
// local records and files (rm). RSS and open file descriptors of both processes are
// sampled every SOAK_SAMPLE_SECONDS (default 10), the client's after a full GC, and after
// a warm-up (the first third, at most 10 minutes) must stay within a bound of the
// warm-up's last level, and their trend (least-squares slope) must stay under a bound per
// 10 minutes. Writes the figures to docs/RELIABILITY.soak.json (or SOAK_OUTPUT). Needs
// `npm run build` first; `npm run test:soak` does both.
// `node test/soak/soak.mjs --evaluate FILE` judges the samples of an earlier run again.
//
// Why a third: memory climbs in the first minutes while bounded structures fill and V8
// sizes its heaps. What must hold is that nothing keeps growing afterwards. The sandbox's
// own bounded stores (its request log, 10,000 requests by default, and its finished
// tasks, 1,000) are started smaller here (SOAK_REQUEST_LOG, SOAK_TASK_HISTORY), so that
// they are full within the warm-up: what grows after it is then a leak, not a store
// filling to its cap. Their caps are tested on their own (test/sandbox).
//
// V8 sizes its young generation by the allocation rate, on a machine with much memory up
// to 64 MiB per semi-space (134 MB of new space, measured here), in steps that come late
// and look like growth. Both processes run with --max-semi-space-size=16 so that what is
// measured is what the code keeps; the client also reports its heap after a full GC.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getCppHeapStatistics, getHeapStatistics } from 'node:v8';
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
/** Largest trend allowed after warm-up, MB of RSS per 10 minutes. */
const SLOPE_BOUND_MB = Number(process.env.SOAK_SLOPE_BOUND_MB ?? 5);
/** Largest trend of the client's heap after a full GC, MB per 10 minutes: what a leak of JS objects shows. */
const HEAP_SLOPE_BOUND_MB = Number(process.env.SOAK_HEAP_SLOPE_BOUND_MB ?? 1);
const REQUEST_LOG = process.env.SOAK_REQUEST_LOG ?? '2000';
const TASK_HISTORY = process.env.SOAK_TASK_HISTORY ?? '100';
/**
 * Transfer API requests per client per window the sandbox allows; 0, the default, is no
 * limit. Waiting out 429s would cut the operations a soak does by three quarters; how
 * the core rides a rate limit is tested in the suite (test/core/registry/globus-behaviour.test.ts).
 */
const RATE_LIMIT = process.env.SOAK_RATE_LIMIT ?? '0';
/**
 * Lifetime of the sandbox's access tokens, seconds (Globus's own is 172,800). Short, so
 * that the client renews its tokens during the soak and the sandbox's expired tokens
 * reach the bound it keeps of them within the warm-up.
 */
const TOKEN_LIFETIME = process.env.SOAK_TOKEN_LIFETIME ?? '120';
/** Steps of the cycle to leave out, comma-separated (transfer, record, search, images, delete with remove): to find what grows. */
const SKIP = new Set((process.env.SOAK_SKIP ?? '').split(',').filter(Boolean));
if (!(MINUTES > 0)) throw new Error('SOAK_MINUTES must be a positive number');

/** V8 flags of both processes; the soak starts itself again with them when they are missing. */
const NODE_FLAGS = ['--max-semi-space-size=16', '--expose-gc'];
if (process.argv.indexOf('--evaluate') < 0 && !NODE_FLAGS.every((f) => process.execArgv.includes(f))) {
  const { spawnSync } = await import('node:child_process');
  const again = spawnSync(process.execPath, [...NODE_FLAGS, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(again.status ?? 1);
}

const evaluateAt = process.argv.indexOf('--evaluate');
if (evaluateAt > 0) {
  const file = process.argv[evaluateAt + 1];
  const earlier = JSON.parse(await readFile(file, 'utf8'));
  const figures = judge({ ...earlier, bounds: undefined }, earlier.samples, earlier.minutes);
  await writeFile(file, `${JSON.stringify(figures, null, 2)}\n`);
  report(figures, file);
  process.exit(process.exitCode ?? 0);
}

/** Resident memory of `pid`, MB: in all, and the anonymous part (malloc and V8, not mapped files). */
async function residentMB(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)\\s+kB$`, 'm').exec(status)?.[1] ?? NaN) / 1024;
  return { rssMB: field('VmRSS'), anonMB: field('RssAnon') };
}
const fdCount = async (pid) => (await readdir(`/proc/${pid}/fd`)).length;

const tmp = await mkdtemp(join(tmpdir(), 'sregistry-soak-'));
const { child, start } = await startSandboxChild(
  join(tmp, 'sandbox'),
  (info) => {
    const collection = info?.endpoints?.find((e) => e.https_server);
    const personal = info?.endpoints?.find((e) => e.entity_type === 'GCP_mapped_collection');
    return info?.client_id && collection && personal ? { info, collection, personal } : undefined;
    // The personal endpoint shares nothing by default: Transfer pulls land in tmp/storage.
  },
  ['--request-log', REQUEST_LOG, '--task-history', TASK_HISTORY, '--share', tmp],
  ['--max-semi-space-size=16'],
);
const { info, collection, personal } = start;
for (const [what, body] of [
  ['behaviour', { rate_limit_requests: Number(RATE_LIMIT) }],
  ['settings', { token_lifetime: Number(TOKEN_LIFETIME) }],
]) {
  const res = await fetch(`${info.url}/_sandbox/${what}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${info.admin_token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`soak: the sandbox refused ${JSON.stringify(body)}: ${res.status} ${await res.text()}`);
}
const registry = new Registry({
  globus: {
    clientId: info.client_id,
    clientSecret: info.client_secret,
    authUrl: info.auth_url,
    transferUrl: info.transfer_url,
  },
  storage: join(tmp, 'storage'),
  database: join(tmp, 'sregistry.db'),
  localEndpoint: personal.id,
  // With a local endpoint, auto would move every byte through Transfer tasks.
  transport: 'https',
  pollMs: 100,
  maxPollMs: 500,
});

const ops = { push: 0, pull_https: 0, pull_transfer: 0, record: 0, search: 0, images: 0, delete: 0, remove: 0 };
const settings = {
  transports: 'push, pull, record over HTTPS; every third pull over Transfer',
  requestLog: Number(REQUEST_LOG),
  taskHistory: Number(TASK_HISTORY),
  rateLimitRequests: Number(RATE_LIMIT),
  tokenLifetimeSeconds: Number(TOKEN_LIFETIME),
  ...(SKIP.size > 0 ? { skipped: [...SKIP] } : {}),
};
const failures = [];
const samples = [];
const began = Date.now();
const until = began + MINUTES * 60_000;

/** Requests the sandbox has served so far (its log keeps the newest 10,000), from its admin API. */
async function sandboxRequests() {
  try {
    const res = await fetch(`${info.url}/_sandbox/requests?since=${Number.MAX_SAFE_INTEGER}`, {
      headers: { authorization: `Bearer ${info.admin_token}` },
    });
    return (await res.json()).next;
  } catch {
    return undefined;
  }
}

/** The client's live heap after a full collection, MB. */
function heapAfterGc() {
  globalThis.gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

/** What V8 accounts for besides live objects, MB: its heap's pages, its own malloc, and what Buffers hold. */
function outsideHeapMB() {
  const m = process.memoryUsage();
  const v = getHeapStatistics();
  const mb = (n) => n / 2 ** 20;
  return {
    heapTotalMB: mb(m.heapTotal),
    heapResidentMB: mb(v.total_physical_size),
    v8MallocMB: mb(v.malloced_memory),
    globalHandlesMB: mb(v.used_global_handles_size),
    cppHeapMB: mb(getCppHeapStatistics('brief').resident_size_bytes),
    externalMB: mb(m.external),
    arrayBuffersMB: mb(m.arrayBuffers),
  };
}

async function sample() {
  if (process.env.SOAK_SMAPS) {
    globalThis.gc();
    await writeFile(
      join(process.env.SOAK_SMAPS, `client.${Math.round((Date.now() - began) / 1000)}.smaps`),
      await readFile('/proc/self/smaps'),
    );
  }
  samples.push({
    t: Math.round((Date.now() - began) / 1000),
    operations: Object.values(ops).reduce((a, b) => a + b, 0),
    sandboxRequests: await sandboxRequests(),
    client: {
      heapMB: heapAfterGc(),
      ...(await residentMB(process.pid)),
      fds: await fdCount(process.pid),
      ...outsideHeapMB(),
    },
    sandbox: { ...(await residentMB(child.pid)), fds: await fdCount(child.pid) },
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
  if (i % 3 === 0 && !SKIP.has('transfer')) {
    const viaTransfer = new Registry({ ...registry.options, transport: 'transfer' });
    try {
      await rm(join(tmp, 'storage', 'soak'), { recursive: true, force: true });
      await viaTransfer.pull(`${base}:${tag}`);
      ops.pull_transfer++;
    } finally {
      await viaTransfer.close();
    }
  }
  if (!SKIP.has('record')) {
    await registry.record(`${base}:${tag}`);
    ops.record++;
  }
  if (!SKIP.has('search')) {
    await registry.search('app', { endpoint: collection.id });
    ops.search++;
  }
  if (!SKIP.has('images')) {
    await registry.images('soak/app');
    ops.images++;
  }
  // What the cycle keeps, remote and local, stays the same size: a soak whose records or
  // listings grow measures its own data growing, not a leak.
  if (i % 4 === 3 && !SKIP.has('delete')) {
    for (let t = 0; t < 4; t++) await registry.delete(`${base}:t${t}`);
    ops.delete += 4;
    for (let t = 0; t < 4; t++) await registry.remove(`soak/app:t${t}`);
    ops.remove += 4;
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

const figures = judge(
  { finished: new Date().toISOString(), settings, operations: ops, failedCycles: failures },
  samples,
  MINUTES,
);
await writeFile(OUTPUT, `${JSON.stringify(figures, null, 2)}\n`);
report(figures, OUTPUT);

function round(n) {
  return Math.round(n * 10) / 10;
}

/** Least-squares slope of `values` over `ts` (seconds), per 10 minutes. */
function slopePer10Min(ts, values) {
  const n = ts.length;
  if (n < 2) return 0;
  const mt = ts.reduce((a, b) => a + b, 0) / n;
  const mv = values.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (ts[i] - mt) * (values[i] - mv);
    den += (ts[i] - mt) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 600;
}

/** The figures of a run and whether they hold: growth over the warm-up's last level, and trend. */
function judge(base, samples, minutes) {
  const warmupS = Math.min(600, (minutes * 60) / 3);
  const after = samples.filter((s) => s.t >= warmupS);
  const baseline = samples.filter((s) => s.t < warmupS).at(-1) ?? samples[0];
  const figures = {
    ...base,
    minutes,
    warmupSeconds: warmupS,
    bounds: {
      rssMB: RSS_BOUND_MB,
      fds: FD_BOUND,
      rssSlopeMBPer10Min: SLOPE_BOUND_MB,
      heapSlopeMBPer10Min: HEAP_SLOPE_BOUND_MB,
    },
  };
  const problems = [];
  for (const who of ['client', 'sandbox']) {
    const rss = after.map((s) => s[who].rssMB);
    const fds = after.map((s) => s[who].fds);
    figures[who] = {
      rssMB: {
        baseline: round(baseline[who].rssMB),
        max: round(Math.max(...rss)),
        last: round(samples.at(-1)[who].rssMB),
        growth: round(Math.max(...rss) - baseline[who].rssMB),
        slopePer10Min: round(
          slopePer10Min(
            after.map((s) => s.t),
            rss,
          ),
        ),
      },
      fds: {
        baseline: baseline[who].fds,
        max: Math.max(...fds),
        last: samples.at(-1)[who].fds,
        growth: Math.max(...fds) - baseline[who].fds,
      },
    };
    const f = figures[who];
    if (f.rssMB.growth > RSS_BOUND_MB)
      problems.push(`${who} RSS grew ${f.rssMB.growth} MB after warm-up (bound ${RSS_BOUND_MB})`);
    // A trend means something only over a long enough window; short runs check growth alone.
    const window = after.length > 1 ? after.at(-1).t - after[0].t : 0;
    if (window >= 600 && f.rssMB.slopePer10Min > SLOPE_BOUND_MB)
      problems.push(
        `${who} RSS trends up ${f.rssMB.slopePer10Min} MB per 10 min after warm-up (bound ${SLOPE_BOUND_MB})`,
      );
    if (f.fds.growth > FD_BOUND)
      problems.push(`${who} open fds grew by ${f.fds.growth} after warm-up (bound ${FD_BOUND})`);
    if (baseline[who].heapMB !== undefined) {
      const heap = after.map((s) => s[who].heapMB);
      f.heapMB = {
        baseline: round(baseline[who].heapMB),
        max: round(Math.max(...heap)),
        last: round(samples.at(-1)[who].heapMB),
        slopePer10Min: round(
          slopePer10Min(
            after.map((s) => s.t),
            heap,
          ),
        ),
      };
      if (window >= 600 && f.heapMB.slopePer10Min > HEAP_SLOPE_BOUND_MB)
        problems.push(
          `${who} heap trends up ${f.heapMB.slopePer10Min} MB per 10 min after warm-up (bound ${HEAP_SLOPE_BOUND_MB})`,
        );
    }
  }
  if (base.failedCycles.length > 0)
    problems.push(`${base.failedCycles.length} cycle(s) failed: ${base.failedCycles.map((f) => f.code).join(', ')}`);
  figures.passed = problems.length === 0;
  figures.problems = problems;
  figures.samples = samples;
  return figures;
}

function report(figures, where) {
  const line = (who) =>
    `${who}: RSS ${figures[who].rssMB.baseline} → max ${figures[who].rssMB.max} MB (trend ${figures[who].rssMB.slopePer10Min} MB/10 min)${figures[who].heapMB ? `, heap ${figures[who].heapMB.baseline} → max ${figures[who].heapMB.max} MB (trend ${figures[who].heapMB.slopePer10Min})` : ''}, fds ${figures[who].fds.baseline} → max ${figures[who].fds.max}`;
  console.log(
    `soak ${figures.minutes} min, ${figures.samples.at(-1).operations} operations; ${line('client')}; ${line('sandbox')}; figures in ${where}`,
  );
  if (!figures.passed) {
    console.error(`soak failed: ${figures.problems.join('; ')}`);
    process.exitCode = 1;
  }
}
