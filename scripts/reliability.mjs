// Renders docs/RELIABILITY.md from the suite's own results: .reliability/last-run.json
// (written by scripts/jest-reliability-reporter.cjs at the end of a Jest run) and
// docs/RELIABILITY.soak.json (written by `npm run test:soak`). `npm run reliability` runs
// the suite first; `node scripts/reliability.mjs` alone renders the last run.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUN = join(ROOT, '.reliability', 'last-run.json');
const SOAK = join(ROOT, 'docs', 'RELIABILITY.soak.json');
const OUT = join(ROOT, 'docs', 'RELIABILITY.md');

if (!existsSync(RUN)) {
  console.error(`reliability: ${RUN} is missing: run the suite first (npm run reliability does)`);
  process.exit(1);
}
const run = JSON.parse(readFileSync(RUN, 'utf8'));
const soak = existsSync(SOAK) ? JSON.parse(readFileSync(SOAK, 'utf8')) : undefined;
const n = (x) => Number(x).toLocaleString('en-US');
const table = (headers, rows) =>
  [
    `| ${headers.join(' | ')} |`,
    `|${headers.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
const split = (key) => key.split('\u0000');

const lines = [];
const put = (...l) => lines.push(...l);

put(
  '# Reliability: what the test suite proves',
  '',
  '<!-- Generated: do not edit. Regenerate with `npm run reliability` (runs the suite, then `node scripts/reliability.mjs`). -->',
  '',
  'Regenerate with `npm run reliability`. Every figure below is counted by the tests themselves while they run',
  '(`test/reliability/ledger.ts`) and kept only for tests that passed; the soak figures come from the last',
  '`npm run test:soak` (`docs/RELIABILITY.soak.json`).',
  '',
  `Last run: ${run.finished.slice(0, 10)}, ${n(run.tests.passed)} tests passed, ${n(run.tests.failed)} failed, in ${n(run.suites)} suites` +
    (run.dropped ? ` (${n(run.dropped)} counted events of tests that did not pass were left out).` : '.'),
  '',
  '## Faults survived, by operation and transport',
  '',
  'Faults the local Globus sandbox injected (fault rules, see docs/sandbox.md) during tests that passed: the operation',
  'either succeeded anyway or failed with its typed error and left nothing half-done, as each test asserts. The operation',
  'is the registry verb the test names, else what its suite drives (a token, a Transfer call, an upload or download',
  'through the collection client, a CLI command, an Action run, a Node-RED flow); `any` is a call both transports make',
  '(Auth, endpoint lookup, listings).',
  '',
);
const faultRows = Object.entries(run.faults)
  .map(([k, count]) => [...split(k), count])
  .sort(
    (a, b) =>
      a[0].localeCompare(b[0]) || a[1].localeCompare(b[1]) || a[2].localeCompare(b[2]) || a[3].localeCompare(b[3]),
  );
const grouped = new Map();
for (const [op, transport, surface, fault, count] of faultRows) {
  const key = `${op}\u0000${transport}\u0000${surface}`;
  if (!grouped.has(key)) grouped.set(key, []);
  grouped.get(key).push(`${fault} ×${count}`);
}
const faultTotal = faultRows.reduce((s, r) => s + r[4], 0);
put(
  table(
    ['operation', 'transport', 'where the fault hit', 'faults (kind ×count)'],
    [...grouped].map(([k, faults]) => [...split(k), faults.join(', ')]),
  ),
  '',
  `${n(faultTotal)} faults in all, in ${n(Object.values(run.faultTests).reduce((s, x) => s + x, 0))} (operation, transport, test) combinations.`,
  '',
);
const kills = Object.entries(run.kills);
if (kills.length) {
  put(
    'Processes killed (SIGKILL) mid-operation, then cleaned up after by a later run:',
    '',
    table(
      ['operation', 'transport', 'kills'],
      kills.map(([k, c]) => [...split(k), c]),
    ),
    '',
  );
}

put(
  '## Concurrent operations held',
  '',
  'Operations run at once whose every result was checked exactly (no lost or doubled record, each tag one complete version).',
  '',
);
put(
  table(
    ['scenario', 'operations', 'processes'],
    Object.entries(run.concurrent).map(([scenario, c]) => [scenario, n(c.operations), c.processes]),
  ),
  '',
);

put(
  '## Bad inputs tried',
  '',
  'Property-based runs (fast-check): each run is one generated hostile input that had to give a typed error or a safe result.',
  '',
);
put(
  table(
    ['property', 'runs'],
    Object.entries(run.properties).map(([p, r]) => [p, n(r)]),
  ),
  '',
  `${n(Object.values(run.properties).reduce((s, x) => s + x, 0))} generated inputs in all.`,
  '',
);

const hostile = new Map();
for (const [k, count] of Object.entries(run.hostile ?? {})) {
  const [what, frontEnd] = split(k);
  if (!hostile.has(what)) hostile.set(what, []);
  hostile.get(what).push(`${frontEnd} ×${count}`);
}
put(
  'Hostile registries and servers: each case is something a co-writer of a registry, a wrong clock or a hostile server',
  'can do, met through a front end and answered safely (the tag still names the last push, the text shows escaped, the',
  'file is refused, the path stays closed).',
  '',
  table(
    ['case', 'front ends (tests passed)'],
    [...hostile].sort((a, b) => a[0].localeCompare(b[0])).map(([what, fronts]) => [what, fronts.sort().join(', ')]),
  ),
  '',
  `${n(hostile.size)} hostile cases, ${n(Object.values(run.hostile ?? {}).reduce((s, x) => s + x, 0))} (case, front end) tests in all.`,
  '',
);

put(
  '## Secrets scanned',
  '',
  'Runs made with a known client secret (and a wrong one); everything printed, logged, exported and every file written',
  'scanned for the secrets and every token the sandbox issued, plain, base64 and URL-encoded.',
  '',
);
const secretRows = Object.entries(run.secrets);
put(
  table(
    ['scope', 'files scanned', 'bytes scanned', 'hits'],
    secretRows.map(([scope, s]) => [scope, n(s.files), n(s.bytes), n(s.hits)]),
  ),
  '',
);

put('## Soak', '');
if (soak) {
  const f = (who, key) => soak[who][key];
  put(
    `\`npm run test:soak\` (SOAK_MINUTES=${soak.minutes}, finished ${soak.finished.slice(0, 16).replace('T', ' ')} UTC): the sandbox in a child process and one`,
    'Registry doing mixed operations; RSS and open file descriptors of both sampled and, after a warm-up of',
    `${soak.warmupSeconds} s, bounded to +${soak.bounds.rssMB} MB, a trend of ${soak.bounds.rssSlopeMBPer10Min} MB per 10 minutes and +${soak.bounds.fds} fds. Result: **${soak.passed ? 'passed' : 'FAILED'}**.`,
    '',
    table(
      [
        'process',
        'RSS after warm-up (MB)',
        'RSS max (MB)',
        'RSS growth (MB)',
        'RSS trend (MB/10 min)',
        'fds after warm-up',
        'fds max',
        'fd growth',
      ],
      ['client', 'sandbox'].map((who) => [
        who,
        f(who, 'rssMB').baseline,
        f(who, 'rssMB').max,
        f(who, 'rssMB').growth,
        f(who, 'rssMB').slopePer10Min,
        f(who, 'fds').baseline,
        f(who, 'fds').max,
        f(who, 'fds').growth,
      ]),
    ),
    '',
    ...(soak.client.heapMB
      ? [
          `The client's JavaScript heap after a full GC: ${soak.client.heapMB.baseline} MB after warm-up, at most ${soak.client.heapMB.max} MB, trend ${soak.client.heapMB.slopePer10Min} MB per 10 minutes (bound ${soak.bounds.heapSlopeMBPer10Min}).`,
          '',
        ]
      : []),
    ...(soak.settings
      ? [
          `Set-up: ${soak.settings.transports}; every fourth cycle deletes the four tags and removes their local records and files, so the data set stays the same size; ${soak.settings.rateLimitRequests ? `the sandbox's rate limit at ${n(soak.settings.rateLimitRequests)} requests per window` : "the sandbox's rate limit off"}${soak.settings.tokenLifetimeSeconds ? ` and its tokens living ${n(soak.settings.tokenLifetimeSeconds)} s, so the client renews them` : ''}; its request log kept to ${n(soak.settings.requestLog)} entries and its task history to ${n(soak.settings.taskHistory)} finished tasks, so both are full within the warm-up; both processes with V8's young generation pinned (\`--max-semi-space-size=16\`). How the figures were read, and what the client's RSS is made of: [soak.md](soak.md).`,
          '',
        ]
      : []),
    ...(soak.problems?.length ? [`Problems: ${soak.problems.join('; ')}.`, ''] : []),
    `Operations: ${Object.entries(soak.operations)
      .map(([k, v]) => `${k.replace('_', ' ')} ${n(v)}`)
      .join(', ')}; failed cycles: ${soak.failedCycles.length}.`,
    '',
  );
} else {
  put('No soak run recorded yet: run `npm run test:soak`.', '');
}

put(
  '## What runs where',
  '',
  '- `npm test` (and CI): build, typecheck, lint and every Jest suite under `test/` except the browser editor test;',
  '  this includes the fault, kill, load, hostile-input and secret-scan tests counted above.',
  '- `npm run test:soak`: the soak, 30 minutes by default (`SOAK_MINUTES`), writing `docs/RELIABILITY.soak.json`.',
  '- `npm run test:browser`: the Node-RED editor in a headless browser.',
  '',
);

writeFileSync(OUT, `${lines.join('\n')}\n`);
console.log(
  `reliability: wrote ${OUT} (${n(faultTotal)} faults, ${n(Object.values(run.properties).reduce((s, x) => s + x, 0))} generated inputs, ${secretRows.length} secret scans)`,
);
