// Totals for docs/RELIABILITY.md: reads the ledger the tests appended to
// (.reliability/ledger/*.jsonl, see test/reliability/ledger.ts), keeps the entries of tests
// that passed, and writes .reliability/last-run.json. `npm run reliability` renders it.
const { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');

const ROOT = join(__dirname, '..');
const DIR = join(ROOT, '.reliability');
const LEDGER = join(DIR, 'ledger');

// The operation a test exercises, from its name (the suites name their operation).
// The operation a fault hit: the registry verb the test names, else what its suite drives
// (a core client's suite exercises one call kind; an HTTPS fault there is an upload or a download).
const VERBS = /\b(push|pull|record|search|delete|inspect|images|replicate|prune|watch|doctor)(?:e?[sd]|ing)?\b/i;
const SUITES = [
  [/test\/core\/auth\//, () => 'token'],
  [/test\/core\/transfer\//, () => 'Transfer call'],
  [/test\/core\/http\//, () => 'HTTP call'],
  [
    /test\/core\/collection\//,
    (e) => (/PUT/.test(e.surface) ? 'upload' : /GET/.test(e.surface) ? 'download' : 'collection call'),
  ],
  [/test\/nodered\//, () => 'Node-RED flow'],
  [/test\/action\//, () => 'Action run'],
  [/test\/cli\//, () => 'CLI command'],
];

function operationOf(entry) {
  const m = VERBS.exec(`${entry.test} ${entry.testPath}`);
  if (m) return m[1].toLowerCase();
  const suite = SUITES.find(([re]) => re.test(entry.testPath ?? ''));
  return suite ? suite[1](entry) : 'other';
}

function add(map, key, n) {
  map[key] = (map[key] || 0) + n;
}

class ReliabilityReporter {
  onRunStart() {
    rmSync(LEDGER, { recursive: true, force: true });
    mkdirSync(LEDGER, { recursive: true });
  }

  onRunComplete(_contexts, results) {
    const passed = new Set();
    const files = new Set();
    for (const file of results.testResults) {
      const path = relative(ROOT, file.testFilePath);
      files.add(path);
      for (const a of file.testResults) if (a.status === 'passed') passed.add(`${path}\u0000${a.fullName}`);
    }
    const entries = [];
    if (existsSync(LEDGER)) {
      for (const name of readdirSync(LEDGER)) {
        for (const line of readFileSync(join(LEDGER, name), 'utf8').split('\n'))
          if (line) entries.push(JSON.parse(line));
      }
    }
    const totals = {
      faults: {},
      faultTests: {},
      kills: {},
      concurrent: {},
      properties: {},
      hostile: {},
      secrets: {},
      counted: 0,
      dropped: 0,
    };
    const faultTests = {};
    for (const e of entries) {
      const key = `${relative(ROOT, e.testPath)}\u0000${e.test}`;
      if (!passed.has(key)) {
        totals.dropped++;
        continue;
      }
      totals.counted++;
      switch (e.kind) {
        case 'fault':
          add(totals.faults, `${operationOf(e)}\u0000${e.transport}\u0000${e.surface}\u0000${e.fault}`, 1);
          (faultTests[`${operationOf(e)}\u0000${e.transport}`] ||= new Set()).add(key);
          break;
        case 'kill':
          add(totals.kills, `${e.operation}\u0000${e.transport}`, 1);
          break;
        case 'concurrent': {
          const c = (totals.concurrent[e.scenario] ||= { operations: 0, processes: 0, tests: 0 });
          c.operations += e.operations;
          c.processes = Math.max(c.processes, e.processes);
          c.tests++;
          break;
        }
        case 'property':
          add(totals.properties, e.property, e.runs);
          break;
        case 'hostile':
          add(totals.hostile, `${e.case}\u0000${e.frontEnd}`, 1);
          break;
        case 'secrets': {
          const s = (totals.secrets[e.scope] ||= { files: 0, bytes: 0, hits: 0, scans: 0 });
          s.files += e.files;
          s.bytes += e.bytes;
          s.hits += e.hits;
          s.scans++;
          break;
        }
      }
    }
    for (const [k, set] of Object.entries(faultTests)) totals.faultTests[k] = set.size;
    const summary = {
      finished: new Date().toISOString(),
      suites: results.numTotalTestSuites,
      tests: { passed: results.numPassedTests, failed: results.numFailedTests, total: results.numTotalTests },
      files: [...files].sort(),
      ...totals,
    };
    mkdirSync(DIR, { recursive: true });
    writeFileSync(join(DIR, 'last-run.json'), `${JSON.stringify(summary, null, 2)}\n`);
  }
}
module.exports = ReliabilityReporter;
