// `npm run bench`: the CLI's push, pull and start-up against public tools run on the
// same machine in the same run (curl, openssl, `node -e 0`), the two sides alternating,
// medians of several runs; writes docs/PERFORMANCE.md. Installs nothing: it needs curl,
// openssl and GNU time at /usr/bin/time (Debian: `apt-get install curl openssl time`).
//
//   npm run bench                  1 GiB, 5 runs (about 10 minutes on 2 cores)
//   BENCH_QUICK=1 npm run bench    64 MiB, 3 runs: checks the suite in a minute
//   BENCH_SIZE_MIB=N BENCH_RUNS=N  other sizes and counts; BENCH_LARGE_MIB=N the large RSS size
//   BENCH_COMPARE=<git ref>        that ref's CLI against this one in the same run (1: HEAD~1), see compare.mjs
//   BENCH_ONLY=verify              only the signed-image pull row, printed (docs left as they are)
//   BENCH_ONLY=ls                  only the 1000-ls row, printed (docs left as they are)
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, freemem, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { alternate, timed as timedIn } from './support/measure.mjs';
import { writeRandomImage as writeRandom } from './support/pattern.mjs';
import { writeSignedImage } from './support/signed-image.mjs';
import { startSandboxChild, stopChild } from './support/sandbox-child.mjs';
import { clientCredentialsToken } from './support/token.mjs';

if (process.env.BENCH_COMPARE) {
  // Old against new in one run: bench/compare.mjs.
  await import('./compare.mjs');
  process.exit(0);
}

const repo = fileURLToPath(new URL('..', import.meta.url));
const quick = process.env.BENCH_QUICK === '1';
const MiB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_SIZE_MIB ?? (quick ? 64 : 1024)) * MiB;
const SMALL = 64 * MiB;
const LARGE = Number(process.env.BENCH_LARGE_MIB ?? (quick ? 256 : 2048)) * MiB;
const RUNS = Math.max(quick ? 3 : 5, Number(process.env.BENCH_RUNS ?? 0));
const STARTUP_RUNS = quick ? 5 : 15;
const ONLY = process.env.BENCH_ONLY;

for (const tool of ['curl', 'openssl', '/usr/bin/time']) {
  try {
    execFileSync(
      tool === '/usr/bin/time' ? tool : 'sh',
      tool === '/usr/bin/time' ? ['-f', '', 'true'] : ['-c', `command -v ${tool}`],
      { stdio: 'ignore' },
    );
  } catch {
    console.error(`bench needs ${tool} (Debian: apt-get install curl openssl time); it installs nothing itself`);
    process.exit(2);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x, d = 2) => x.toFixed(d);

const timed = (cmd, args, env = process.env) => timedIn({ tmp, cwd: repo }, cmd, args, env);

const NAMES = quick ? 20 : 100;
const TAGS = quick ? 20 : 100;
const SEARCH_RUNS = quick ? 3 : 5;

/** A registry of NAMES × TAGS images written straight into the collection's folder; search through the core, sequential and concurrent. */
async function searchBench(env, collection, shub) {
  const { Registry } = await import('../lib/core/registry/registry.js');
  const { registryOptionsFromEnv } = await import('../lib/core/registry/options.js');
  const version = 'a'.repeat(64);
  for (let n = 0; n < NAMES; n++) {
    const folder = join(shub, `n${n}`);
    await mkdir(folder, { recursive: true });
    await Promise.all(
      Array.from({ length: TAGS }, async (_, t) => {
        await writeFile(join(folder, `t${t}@${version}.sif`), 'x');
        await writeFile(join(folder, `t${t}@${version}.sif.json`), '{}');
      }),
    );
  }
  const once = async (concurrency) => {
    let calls = 0;
    const registry = new Registry({
      ...registryOptionsFromEnv(env),
      concurrency,
      storage: join(tmp, 'storage'),
      database: ':memory:',
      onEvent: (e) => {
        if (e.type === 'call') calls++;
      },
    });
    try {
      const began = performance.now();
      const hits = await registry.search(undefined, { endpoint: collection.id });
      return {
        seconds: (performance.now() - began) / 1000,
        calls,
        hits: hits.filter((h) => h.kind === 'image').length,
      };
    } finally {
      await registry.close();
    }
  };
  const concurrency = 8;
  const [seq, conc] = await alternate(SEARCH_RUNS, [() => once(1), () => once(concurrency)]);
  const pick = (xs) => ({
    seconds: median(xs.map((x) => x.seconds)),
    calls: median(xs.map((x) => x.calls)),
    hits: xs[0].hits,
  });
  const result = { concurrency, sequential: pick(seq), concurrent: pick(conc) };
  if (result.sequential.hits !== result.concurrent.hits)
    throw new Error(
      `search found ${result.sequential.hits} images sequentially but ${result.concurrent.hits} concurrently`,
    );
  await rm(shub, { recursive: true, force: true });
  return result;
}

const LS_CALLS = quick ? 200 : 1000;
const TASK_SECONDS = quick ? [1, 3] : [1, 10, 60];

/** `calls` listings of the collection's root through the core's Transfer client and through @globus/sdk, alternating. */
async function lsBench(start, collection) {
  const { TokenSource } = await import('../lib/core/auth/index.js');
  const { TransferApi, ls } = await import('../lib/core/transfer/index.js');
  const { transfer } = await import('@globus/sdk');
  const tokens = new TokenSource({ clientId: start.client_id, clientSecret: start.client_secret, authUrl: start.url });
  let coreCalls = 0;
  const core = new TransferApi({ baseUrl: start.url, tokens, onCall: () => coreCalls++ });
  const token = await clientCredentialsToken(
    { origin: start.url, clientId: start.client_id, clientSecret: start.client_secret },
    'urn:globus:auth:scope:transfer.api.globus.org:all',
  );
  const before = process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER;
  process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER = start.url;
  try {
    const viaCore = async () => {
      const began = performance.now();
      for (let i = 0; i < LS_CALLS; i++) for await (const entry of ls(core, collection.id, '/')) void entry;
      return (performance.now() - began) / 1000;
    };
    const viaSdk = async () => {
      const began = performance.now();
      for (let i = 0; i < LS_CALLS; i++) {
        const res = await transfer.fileOperations.ls(collection.id, {
          query: { path: '/' },
          headers: { Authorization: `Bearer ${token}` },
        });
        if (!res.ok) throw new Error(`@globus/sdk ls answered ${res.status}`);
        await res.json();
      }
      return (performance.now() - began) / 1000;
    };
    await viaCore();
    await viaSdk();
    coreCalls = 0;
    const [ours, sdk] = await alternate(RUNS, [viaCore, viaSdk]);
    return { ours: median(ours), sdk: median(sdk), callsPerLs: coreCalls / (RUNS * LS_CALLS) };
  } finally {
    if (before === undefined) delete process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER;
    else process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER = before;
  }
}

/**
 * Tasks slowed to last about `seconds` (a sandbox in this process with a transfer rate),
 * waited for with the Registry's poll settings; counts the task polls and their gaps.
 */
async function pollBench() {
  const { startSandbox } = await import('../lib/sandbox/sandbox.js');
  const { defaultWorld } = await import('../lib/sandbox/config/default-world.js');
  const { TokenSource } = await import('../lib/core/auth/index.js');
  const { TransferApi, submitTransfer, waitForTask } = await import('../lib/core/transfer/index.js');
  const { DEFAULT_POLL_MS, DEFAULT_MAX_POLL_MS } = await import('../lib/core/registry/options.js');
  const dataDir = join(tmp, 'poll-sandbox');
  const world = defaultWorld({ dataDir, home: tmp });
  const rate = 4 * MiB;
  world.transferRate = rate;
  for (const e of world.endpoints) if (e.root) await mkdir(e.root, { recursive: true });
  const sb = await startSandbox({ world, dataDir });
  const out = [];
  try {
    const ep = world.endpoints.find((e) => e.httpsServer);
    const tokens = new TokenSource({
      clientId: world.clients[0].id,
      clientSecret: world.clients[0].secret,
      authUrl: sb.url,
    });
    const polls = [];
    const client = new TransferApi({
      baseUrl: sb.url,
      tokens,
      onCall: (call) => {
        if (/\/v0\.10\/task\/[^/]+$/.test(new URL(call.url).pathname)) polls.push(performance.now());
      },
    });
    for (const seconds of TASK_SECONDS) {
      await writeRandom(join(ep.root, `poll-${seconds}.bin`), seconds * rate);
      polls.length = 0;
      const began = performance.now();
      const task = await submitTransfer(client, {
        source: ep.id,
        destination: ep.id,
        items: [{ source: `/poll-${seconds}.bin`, destination: `/poll-${seconds}.copy` }],
      });
      const done = await waitForTask(client, task.taskId ?? task.task_id, {
        pollMs: DEFAULT_POLL_MS,
        maxPollMs: DEFAULT_MAX_POLL_MS,
      });
      const took = (performance.now() - began) / 1000;
      const gaps = polls.slice(1).map((t, i) => (t - polls[i]) / 1000);
      out.push({
        seconds,
        took,
        status: done.status,
        polls: polls.length,
        minGap: gaps.length ? Math.min(...gaps) : NaN,
        lastGap: gaps.at(-1) ?? NaN,
      });
    }
  } finally {
    await sb.close();
  }
  return { out, pollMs: DEFAULT_POLL_MS, maxPollMs: DEFAULT_MAX_POLL_MS };
}

/**
 * A SIF of `size` random bytes signed as Apptainer signs (one group signature, made here
 * with a fresh key), pushed once, then pulled with the signatures checked against that
 * key (`--verify required --keyring`) and without looking at them (`--verify off`).
 */
async function verifyBench(env, cli, uri, size, runs) {
  const { image: signed, keyring } = await writeSignedImage(tmp, size);
  await timed(process.execPath, cli('push', signed, uri('signed')), env);
  await rm(signed, { force: true });
  const pull =
    (...flags) =>
    async () => {
      await rm(join(tmp, 'storage'), { recursive: true, force: true });
      return timed(process.execPath, cli('pull', uri('signed'), ...flags), env);
    };
  const [required, off] = await alternate(runs, [
    pull('--verify', 'required', '--keyring', keyring),
    pull('--verify', 'off'),
  ]);
  await rm(join(tmp, 'storage'), { recursive: true, force: true });
  return { required, off };
}

const tmp = await mkdtemp(join(tmpdir(), 'sregistry-bench-'));
const rows = [];
const notes = [];
let sandbox;
try {
  const { child, start } = await startSandboxChild(join(tmp, 'sandbox'), (info) =>
    info?.url && info.endpoints?.some((e) => e.https_server) ? info : undefined,
  );
  sandbox = child;
  // The bench measures bytes, start-up and keep-alive, not Globus's rate limit (20/s per client),
  // which thousands of back-to-back calls would otherwise meet: off for this sandbox.
  const limit = await fetch(`${start.url}/_sandbox/behaviour`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${start.admin_token}` },
    body: JSON.stringify({ rate_limit_requests: 0 }),
  });
  if (!limit.ok) throw new Error(`Could not turn the sandbox's rate limit off: HTTP ${limit.status}`);
  const collection = start.endpoints.find((e) => e.https_server);
  const token = await clientCredentialsToken(
    { origin: start.url, clientId: start.client_id, clientSecret: start.client_secret },
    `https://auth.globus.org/scopes/${collection.id}/https`,
  );
  const env = {
    ...process.env,
    GLOBUS_SDK_SERVICE_URL_AUTH: start.auth_url ?? `${start.url}/`,
    GLOBUS_SDK_SERVICE_URL_TRANSFER: start.transfer_url ?? `${start.url}/`,
    GLOBUS_CLIENT_ID: start.client_id,
    GLOBUS_CLIENT_SECRET: start.client_secret,
  };
  const cli = (...args) => [
    'bin/sregistry-globus.js',
    ...args,
    '--transport',
    'https',
    '--storage',
    join(tmp, 'storage'),
    '--database-file',
    join(tmp, 'records.db'),
    '--quiet',
  ];
  const uri = (name) => `globus://${collection.id}/library/${name}:latest`;
  const curlUrl = `${collection.https_server}/curl.bin`;
  const auth = ['-H', `authorization: Bearer ${token}`];
  const shub = join(collection.folder, 'shub', 'library');

  const pushPull = async (size, runs) => {
    const file = join(tmp, `image-${size}.sif`);
    await writeRandom(file, size);
    const push = await alternate(runs, [
      async (i) => {
        const r = await timed(process.execPath, cli('push', file, uri(`p${size}-${i}`)), env);
        await rm(join(shub, `p${size}-${i}`), { recursive: true, force: true });
        return r;
      },
      () => timed('curl', ['-sSf', '-o', '/dev/null', '-T', file, ...auth, curlUrl]),
    ]);
    await timed(process.execPath, cli('push', file, uri(`g${size}`)), env);
    const got = join(tmp, 'curl-got.bin');
    const pull = await alternate(runs, [
      async () => {
        await rm(join(tmp, 'storage'), { recursive: true, force: true });
        return timed(process.execPath, cli('pull', uri(`g${size}`)), env);
      },
      async () => {
        const c = await timed('curl', ['-sSf', '-o', got, ...auth, curlUrl]);
        const o = await timed('openssl', ['dgst', '-sha256', got]);
        await rm(got, { force: true });
        return {
          wall: c.wall + o.wall,
          cpu: c.cpu + o.cpu,
          curlWall: c.wall,
          opensslCpu: o.cpu,
          rss: Math.max(c.rss, o.rss),
        };
      },
    ]);
    await rm(join(tmp, 'storage'), { recursive: true, force: true });
    await rm(join(shub, `g${size}`), { recursive: true, force: true });
    await rm(file, { force: true });
    return { push, pull };
  };

  const mib = (b) => `${Math.round(b / MiB)} MiB`;
  const m = (xs, k) => median(xs.map((x) => x[k]));
  const verifyRow = async () => {
    console.log(`pull of a signed ${mib(SIZE)} image, --verify required against --verify off, ${RUNS} runs each side`);
    const verify = await verifyBench(env, cli, uri, SIZE, RUNS);
    await rm(join(shub, 'signed'), { recursive: true, force: true });
    return [
      `pull ${mib(SIZE)} signed image, \`--verify required\`, wall`,
      `${fmt(m(verify.required, 'wall'))} s (CPU ${fmt(m(verify.required, 'cpu'))} s)`,
      `\`pull --verify off\`: ${fmt(m(verify.off, 'wall'))} s (CPU ${fmt(m(verify.off, 'cpu'))} s)`,
      `${fmt(m(verify.required, 'wall') / m(verify.off, 'wall'))}×`,
      '≤ 1.1×',
      m(verify.required, 'wall') <= 1.1 * m(verify.off, 'wall'),
    ];
  };
  const lsRow = async () => {
    const ls = await lsBench(start, collection);
    return [
      `${LS_CALLS} \`ls\` calls, one after the other`,
      `core: ${fmt(ls.ours)} s (${fmt(ls.callsPerLs, 1)} HTTP call per ls)`,
      `\`@globus/sdk\`: ${fmt(ls.sdk)} s`,
      `sdk/ours ${fmt(ls.sdk / ls.ours)}`,
      'sdk/ours ≥ 1.0',
      ls.sdk >= ls.ours,
    ];
  };
  // A labelled block, so that BENCH_ONLY leaves through the finally below (the sandbox is stopped).
  measure: {
    if (ONLY === 'verify' || ONLY === 'ls') {
      console.log(`| ${(await (ONLY === 'ls' ? lsRow() : verifyRow())).join(' | ')} |`);
      break measure;
    }
    console.log(`push/pull ${mib(SIZE)}, ${RUNS} runs each side`);
    const main = await pushPull(SIZE, RUNS);
    const [ourPush, curlPush] = main.push;
    const [ourPull, curlPull] = main.pull;
    rows.push([
      `push ${mib(SIZE)}, wall`,
      `${fmt(m(ourPush, 'wall'))} s`,
      `\`curl -T\`: ${fmt(m(curlPush, 'wall'))} s`,
      `curl/ours ${fmt(m(curlPush, 'wall') / m(ourPush, 'wall'))}`,
      'curl/ours ≥ 0.9',
      m(curlPush, 'wall') / m(ourPush, 'wall') >= 0.9,
    ]);
    const sha = m(curlPull, 'opensslCpu');
    rows.push([
      `push ${mib(SIZE)}, CPU`,
      `${fmt(m(ourPush, 'cpu'))} s`,
      `curl: ${fmt(m(curlPush, 'cpu'))} s + one \`openssl dgst\`: ${fmt(sha)} s`,
      `${fmt(m(ourPush, 'cpu') / (m(curlPush, 'cpu') + sha))}× (curl+openssl)`,
      '≤ 1.0× (curl + one SHA-256 pass)',
      m(ourPush, 'cpu') <= m(curlPush, 'cpu') + sha,
    ]);
    rows.push([
      `pull ${mib(SIZE)} with SHA-256 check, wall`,
      `${fmt(m(ourPull, 'wall'))} s`,
      `\`curl -o\` then \`openssl dgst -sha256\`: ${fmt(m(curlPull, 'wall'))} s`,
      `${fmt(m(ourPull, 'wall') / m(curlPull, 'wall'))}×`,
      '≤ 1.0×',
      m(ourPull, 'wall') <= m(curlPull, 'wall'),
    ]);
    rows.push([
      `pull ${mib(SIZE)}, wall, against \`curl -o\` alone`,
      `${fmt(m(ourPull, 'wall'))} s`,
      `\`curl -o\`: ${fmt(m(curlPull, 'curlWall'))} s`,
      `${fmt(m(ourPull, 'wall') / m(curlPull, 'curlWall'))}×`,
      '≤ 1.2×',
      m(ourPull, 'wall') <= 1.2 * m(curlPull, 'curlWall'),
    ]);

    rows.push(await verifyRow());

    console.log(`peak RSS at ${mib(SMALL)} and ${mib(LARGE)}`);
    const rss = [];
    for (const size of [SMALL, LARGE]) {
      const r = size === SIZE ? main : await pushPull(size, 1);
      rss.push([size, median(r.push[0].map((x) => x.rss)), median(r.pull[0].map((x) => x.rss))]);
    }
    rows.push([
      'peak RSS of the CLI, push / pull',
      rss.map(([s, p, q]) => `${mib(s)}: ${Math.round(p)} / ${Math.round(q)} MB`).join('; '),
      `curl: ${Math.round(m(curlPush, 'rss'))} MB`,
      '',
      '< 100 MB, flat',
      rss.every(([, p, q]) => p < 100 && q < 100),
    ]);

    console.log(`search of ${NAMES * TAGS} images, ${SEARCH_RUNS} runs each`);
    const search = await searchBench(env, collection, shub);
    rows.push([
      `search of ${NAMES * TAGS} images (${NAMES} names × ${TAGS} tags)`,
      `concurrency ${search.concurrency}: ${fmt(search.concurrent.seconds)} s, ${search.concurrent.calls} calls`,
      `sequential: ${fmt(search.sequential.seconds)} s, ${search.sequential.calls} calls`,
      `${fmt(search.sequential.seconds / search.concurrent.seconds)}× faster`,
      'same calls, less time',
      search.concurrent.calls === search.sequential.calls && search.concurrent.seconds < search.sequential.seconds,
    ]);

    console.log(`${LS_CALLS} ls calls, core against @globus/sdk, ${RUNS} runs each`);
    rows.push(await lsRow());

    console.log(`transfer tasks of ${TASK_SECONDS.join(', ')} s`);
    const poll = await pollBench();
    for (const t of poll.out) {
      rows.push([
        `Transfer task of about ${t.seconds} s, waited for`,
        `${t.polls} polls, ${fmt(t.took, 1)} s to ${t.status}`,
        `gaps: shortest ${fmt(t.minGap, 2)} s, last ${fmt(t.lastGap, 2)} s (poll ${poll.pollMs / 1000} s ×1.5 up to ${poll.maxPollMs / 1000} s)`,
        '',
        'no gap < 1 s; noticed within one interval',
        !(t.minGap < 0.99) && t.status === 'SUCCEEDED',
      ]);
    }

    console.log(`start-up, ${STARTUP_RUNS} runs each`);
    const [version, bare] = await alternate(STARTUP_RUNS, [
      () => timed(process.execPath, ['bin/sregistry-globus.js', '--version']),
      () => timed(process.execPath, ['-e', '0']),
    ]);
    rows.push([
      '`sregistry-globus --version`',
      `${fmt(m(version, 'wall'))} s`,
      `\`node -e 0\`: ${fmt(m(bare, 'wall'))} s`,
      `${fmt(m(version, 'wall') / m(bare, 'wall'))}×`,
      '≤ 1.5×',
      m(version, 'wall') <= 1.5 * m(bare, 'wall'),
    ]);
    const actionEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('INPUT_')));
    const [action, bare2] = await alternate(STARTUP_RUNS, [
      () => timed('sh', ['-c', `${JSON.stringify(process.execPath)} dist/index.js >/dev/null; true`], actionEnv),
      () => timed('sh', ['-c', `${JSON.stringify(process.execPath)} -e 0 >/dev/null; true`]),
    ]);
    rows.push([
      '`node dist/index.js` (no inputs, to its error)',
      `${fmt(m(action, 'wall'))} s`,
      `\`node -e 0\`: ${fmt(m(bare2, 'wall'))} s`,
      `${fmt(m(action, 'wall') / m(bare2, 'wall'))}×`,
      '≤ 2×',
      m(action, 'wall') <= 2 * m(bare2, 'wall'),
    ]);
  }
} finally {
  if (sandbox) await stopChild(sandbox);
  await rm(tmp, { recursive: true, force: true });
}

if (ONLY) process.exit(0);
const load = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
const table = [
  '| what | ours | reference, same run | ratio | target | met |',
  '|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.slice(0, 5).join(' | ')} | ${r[5] ? 'yes' : '**no**'} |`),
].join('\n');
const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${fmt(totalmem() / 2 ** 30, 1)} GiB memory (${fmt(freemem() / 2 ** 30, 1)} free at the end), Node ${process.version}, load average at the end ${load}`;
const command = `${quick ? 'BENCH_QUICK=1 ' : ''}npm run bench`;
console.log(`\n${table}\n\n${machine}`);
// The measured part of docs/PERFORMANCE.md sits between markers; the analysis around it is written by hand.
const measured = [
  `Measured by \`${command}\` (bench/run.mjs) on ${new Date().toISOString().slice(0, 10)} against the sandbox on this machine:`,
  `${machine}. Page cache warm, a random file, ${RUNS} runs per side for push and pull and ${STARTUP_RUNS} for start-up,`,
  'the two sides alternating, medians. The machine is shared with other work, so absolute',
  'times move from run to run; the ratios compare the two sides of one run.',
  '',
  table,
  '',
  '`curl` and `openssl` run under GNU time like the CLI; CPU is user + system time of the',
  "process. The CLI's figures include its whole run: token, listing, manifest, records, and",
  'for pull the flush to disk (fsync) before the rename that publishes the image.',
  ...(notes.length > 0 ? ['', ...notes] : []),
].join('\n');
const perfFile = join(repo, 'docs', 'PERFORMANCE.md');
const perf = await readFile(perfFile, 'utf8').catch(
  () => '# Performance\n\n<!-- bench:measured -->\n<!-- /bench:measured -->\n',
);
const perfMarked = /(<!-- bench:measured -->\n)[\s\S]*?(<!-- \/bench:measured -->)/;
if (!perfMarked.test(perf)) throw new Error('docs/PERFORMANCE.md lacks the <!-- bench:measured --> markers');
await writeFile(
  perfFile,
  perf.replace(perfMarked, (_, open, close) => `${open}${measured}\n${close}`),
);
const readme = await readFile(join(repo, 'README.md'), 'utf8');
const marked = /(<!-- bench:table -->\n)[\s\S]*?(<!-- \/bench:table -->)/;
if (marked.test(readme)) {
  const summary = `${table}\n\n${machine}; \`${command}\`, ${new Date().toISOString().slice(0, 10)}.\n`;
  await writeFile(
    join(repo, 'README.md'),
    readme.replace(marked, (_, open, close) => `${open}${summary}${close}`),
  );
}
console.log('wrote docs/PERFORMANCE.md and the table in README.md');
