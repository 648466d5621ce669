// `BENCH_COMPARE=<git ref> npm run bench` (`BENCH_COMPARE=1`: the previous commit): the CLI
// of that ref, built from `git archive` in a temp folder with this checkout's node_modules,
// against the CLI of this checkout, in the same run against one sandbox, the two sides
// alternating, medians. Rows: push and pull wall, CPU per GiB, peak RSS; and a pull through
// a forward proxy on 127.0.0.1 against `curl -x` through the same proxy. Writes the table
// between the <!-- bench:compare --> markers of docs/PERFORMANCE.md.
//
//   BENCH_SIZE_MIB=N (default 1024)   BENCH_RUNS=N (default 3)
//   BENCH_COMPARE_DIR=<dir>           a built checkout (bin/, lib/, node_modules) to use as "old"
//                                     instead of building the ref, e.g. this one with a setting changed
//   BENCH_ONLY=verify                 only the signed-image rows (`pull --verify required`), printed
//                                     (docs left as they are)
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startForwardProxy } from './support/forward-proxy.mjs';
import { alternate, timed as timedIn } from './support/measure.mjs';
import { writeRandomImage as writeRandom } from './support/pattern.mjs';
import { writeSignedImage } from './support/signed-image.mjs';
import { startSandboxChild, stopChild } from './support/sandbox-child.mjs';
import { clientCredentialsToken } from './support/token.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
const MiB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_SIZE_MIB ?? 1024) * MiB;
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const wanted = process.env.BENCH_COMPARE === '1' ? 'HEAD~1' : process.env.BENCH_COMPARE;
const verifyOnly = process.env.BENCH_ONLY === 'verify';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x, d = 2) => x.toFixed(d);
const git = (...args) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();

const tmp = await mkdtemp(join(tmpdir(), 'sregistry-compare-'));

const timed = (cmd, args, env = process.env, cwd = repo) => timedIn({ tmp, cwd }, cmd, args, env);

/** The ref's tree in a temp folder, built with this checkout's node_modules. */
async function buildRef(ref) {
  const dir = join(tmp, 'old');
  execFileSync('sh', ['-c', `mkdir -p "${dir}" && git archive --format=tar "${ref}" | tar -x -C "${dir}"`], {
    cwd: repo,
  });
  await symlink(join(repo, 'node_modules'), join(dir, 'node_modules'));
  execFileSync(
    process.execPath,
    [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    { cwd: dir, stdio: 'inherit' },
  );
  return dir;
}

const rows = [];
let sandbox;
let proxy;
const prebuilt = process.env.BENCH_COMPARE_DIR;
const ref = prebuilt ? `the checkout in ${prebuilt}` : wanted;
const refCommit = prebuilt ? 'prebuilt' : git('rev-parse', '--short', ref);
const head = git('rev-parse', '--short', 'HEAD');
const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
try {
  console.log(`building ${ref} (${refCommit}) in ${tmp}`);
  const oldDir = prebuilt ?? (await buildRef(ref));
  const { child, start } = await startSandboxChild(join(tmp, 'sandbox'), (info) =>
    info?.url && info.endpoints?.some((e) => e.https_server) ? info : undefined,
  );
  sandbox = child;
  await fetch(`${start.url}/_sandbox/behaviour`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${start.admin_token}` },
    body: JSON.stringify({ rate_limit_requests: 0 }),
  });
  proxy = await startForwardProxy();
  const collection = start.endpoints.find((e) => e.https_server);
  const token = await clientCredentialsToken(
    { origin: start.url, clientId: start.client_id, clientSecret: start.client_secret },
    `https://auth.globus.org/scopes/${collection.id}/https`,
  );
  const base = { ...process.env };
  for (const k of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy']) delete base[k];
  const env = {
    ...base,
    GLOBUS_SDK_SERVICE_URL_AUTH: `${start.url}/`,
    GLOBUS_SDK_SERVICE_URL_TRANSFER: `${start.url}/`,
    GLOBUS_CLIENT_ID: start.client_id,
    GLOBUS_CLIENT_SECRET: start.client_secret,
  };
  const proxied = { ...env, HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url };
  const shub = join(collection.folder, 'shub', 'library');
  const cli = (dir, ...args) => [
    join(dir, 'bin', 'sregistry-globus.js'),
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
  const gib = SIZE / (1024 * MiB);
  const m = (xs, k) => median(xs.map((x) => x[k]));
  const side = (label, o, n) =>
    rows.push([
      label,
      fmt(m(o, 'wall')),
      fmt(m(n, 'wall')),
      fmt(m(n, 'wall') / m(o, 'wall')),
      `${fmt(m(o, 'cpu') / gib)} / ${fmt(m(n, 'cpu') / gib)}`,
      `${Math.round(m(o, 'rss'))} / ${Math.round(m(n, 'rss'))}`,
    ]);

  // A labelled block, so that BENCH_ONLY leaves through the finally below (the sandbox is stopped).
  measure: {
    // A signed image: the old and the new CLI checking its signatures, and the new one not looking at them.
    console.log(
      `pull of a signed ${SIZE / MiB} MiB image: ${ref} and ${head} with --verify required, ${head} with --verify off`,
    );
    const signed = await writeSignedImage(tmp, SIZE);
    await timed(process.execPath, cli(repo, 'push', signed.image, uri('signed')), env);
    await rm(signed.image, { force: true });
    const pullSigned =
      (dir, ...flags) =>
      async () => {
        await rm(join(tmp, 'storage'), { recursive: true, force: true });
        return timed(process.execPath, cli(dir, 'pull', uri('signed'), ...flags), env);
      };
    const required = ['--verify', 'required', '--keyring', signed.keyring];
    // An old build from before signatures has no --verify: its row is left out.
    const oldVerifies = existsSync(join(oldDir, 'lib', 'core', 'signing'));
    const [newVerify, newOff, oldVerify] = await alternate(RUNS, [
      pullSigned(repo, ...required),
      pullSigned(repo, '--verify', 'off'),
      ...(oldVerifies ? [pullSigned(oldDir, ...required)] : []),
    ]);
    await rm(join(shub, 'signed'), { recursive: true, force: true });
    if (oldVerify) side(`pull ${SIZE / MiB} MiB signed image, \`--verify required\``, oldVerify, newVerify);
    side(
      `pull ${SIZE / MiB} MiB signed image: \`--verify off\` (old column) against \`--verify required\` (new), both new`,
      newOff,
      newVerify,
    );
    if (verifyOnly) break measure;

    const file = join(tmp, 'image.sif');
    await writeRandom(file, SIZE);

    console.log(`push ${SIZE / MiB} MiB: ${ref} against ${head}, ${RUNS} runs each`);
    const [oldPush, newPush] = await alternate(RUNS, [
      async (i) => {
        const r = await timed(process.execPath, cli(oldDir, 'push', file, uri(`old${i}`)), env);
        await rm(join(shub, `old${i}`), { recursive: true, force: true });
        return r;
      },
      async (i) => {
        const r = await timed(process.execPath, cli(repo, 'push', file, uri(`new${i}`)), env);
        await rm(join(shub, `new${i}`), { recursive: true, force: true });
        return r;
      },
    ]);
    await timed(process.execPath, cli(repo, 'push', file, uri('g')), env);
    await rm(file, { force: true });
    const pullWith = (dir, runEnv) => async () => {
      await rm(join(tmp, 'storage'), { recursive: true, force: true });
      return timed(process.execPath, cli(dir, 'pull', uri('g')), runEnv);
    };
    console.log(`pull ${SIZE / MiB} MiB: ${ref} against ${head}`);
    const [oldPull, newPull] = await alternate(RUNS, [pullWith(oldDir, env), pullWith(repo, env)]);

    console.log(`pull ${SIZE / MiB} MiB through the local proxy, against curl -x`);
    const imageName = (await readdir(join(shub, 'g'))).find((f) => f.endsWith('.sif'));
    const imageUrl = `${collection.https_server}/shub/library/g/${encodeURIComponent(imageName)}`;
    const got = join(tmp, 'curl-got.bin');
    const before = proxy.log.length;
    const [proxyPull, curlProxy] = await alternate(RUNS, [
      pullWith(repo, proxied),
      async () => {
        const c = await timed(
          'curl',
          ['-sSf', '-x', proxy.url, '-o', got, '-H', `authorization: Bearer ${token}`, imageUrl],
          base,
        );
        const o = await timed('openssl', ['dgst', '-sha256', got]);
        await rm(got, { force: true });
        return { wall: c.wall + o.wall, cpu: c.cpu + o.cpu, curlWall: c.wall, rss: Math.max(c.rss, o.rss) };
      },
    ]);
    const throughProxy = proxy.log.slice(before).filter((l) => l.endsWith('.sif')).length;
    if (throughProxy < 2 * RUNS) throw new Error(`only ${throughProxy} image GETs went through the proxy`);

    side(`push ${SIZE / MiB} MiB`, oldPush, newPush);
    side(`pull ${SIZE / MiB} MiB`, oldPull, newPull);
    rows.push([
      `pull ${SIZE / MiB} MiB through the local proxy (new) against \`curl -x\` + \`openssl dgst\` (curl alone ${fmt(m(curlProxy, 'curlWall'))} s)`,
      fmt(m(curlProxy, 'wall')),
      fmt(m(proxyPull, 'wall')),
      fmt(m(proxyPull, 'wall') / m(curlProxy, 'wall')),
      `${fmt(m(curlProxy, 'cpu') / gib)} / ${fmt(m(proxyPull, 'cpu') / gib)}`,
      `${Math.round(m(curlProxy, 'rss'))} / ${Math.round(m(proxyPull, 'rss'))}`,
    ]);
  }
} finally {
  if (sandbox) await stopChild(sandbox);
  await proxy?.close();
  await rm(tmp, { recursive: true, force: true });
}

const load = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
const table = [
  `| what | old wall, s | new wall, s | new/old | CPU per GiB old / new, s | peak RSS old / new, MB |`,
  '|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');
const text = [
  `Measured by \`${prebuilt ? `BENCH_COMPARE_DIR=${prebuilt} ` : ''}BENCH_COMPARE=${wanted} npm run bench\` (bench/compare.mjs) on ${new Date().toISOString().slice(0, 10)}: old = \`${ref}\` (${refCommit}), new = ${head}${dirty ? ' with uncommitted changes' : ''};`,
  `${cpus().length} cores, Node ${process.version}, load average at the end ${load}; ${RUNS} runs per side, alternating, medians.`,
  'In the proxy row "old" is `curl -x` through the same proxy (then `openssl dgst -sha256`), "new" is this checkout with HTTPS_PROXY/HTTP_PROXY.',
  '',
  table,
].join('\n');
console.log(`\n${text}`);
const perfFile = join(repo, 'docs', 'PERFORMANCE.md');
const perf = await readFile(perfFile, 'utf8');
const marked = /(<!-- bench:compare -->\n)[\s\S]*?(<!-- \/bench:compare -->)/;
if (marked.test(perf) && !prebuilt && !verifyOnly) {
  await writeFile(
    perfFile,
    perf.replace(marked, (_, o, c) => `${o}${text}\n${c}`),
  );
  console.log('wrote the comparison into docs/PERFORMANCE.md');
}
