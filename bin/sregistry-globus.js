#!/usr/bin/env node
// The version check comes first and the CLI is imported only after it: the core links
// node:sqlite, which an older Node cannot load, so a static import would fail with a
// stack trace before any check could run. On an older Node, the Node.js 24 that the npm
// scripts install once (scripts/node-env.sh) runs this same file instead, when it is there.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { fileURLToPath } from 'node:url';
import { NODE_VERSION_CODE, bootstrappedNode, canBootstrapNode, cliNodeVersionProblem } from '../lib/node-version.js';

const problem = cliNodeVersionProblem();
const newer = problem && canBootstrapNode() && !process.env.SREGISTRY_REEXEC ? bootstrappedNode() : undefined;
// Only ever an absolute path: a relative one would run whatever the current folder holds.
if (newer && isAbsolute(newer) && existsSync(newer)) {
  process.exitCode = await rerun(newer);
} else if (problem) {
  process.stderr.write(`error: ${problem} [${NODE_VERSION_CODE}]\n`);
  process.exitCode = 2;
} else {
  // A young generation that keeps its first size: the steady stream of short-lived objects
  // of a long transfer otherwise grows it to its maximum, some 10 MB more peak memory for
  // no measured gain in speed (docs/PERFORMANCE.md).
  setFlagsFromString('--semi-space-growth-factor=1');
  // undici's HTTP parser (llhttp, WebAssembly) stays on V8's baseline compiler: tiering its
  // hot functions up to the optimizing one costs some 8 MB of peak memory in a command that
  // makes a handful of requests, and the parser is not where a transfer spends its time
  // (docs/PERFORMANCE.md). Both flags, as set at run time an implication is not followed.
  setFlagsFromString('--no-wasm-tier-up');
  setFlagsFromString('--no-wasm-dynamic-tiering');
  const { start } = await import('../lib/cli/start.js');
  process.exitCode = await start(process.argv.slice(2));
}

/** Runs this file under `node` with the same arguments and terminal; its exit is ours. */
function rerun(node) {
  const child = spawn(node, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    // A marker against a loop, should that binary itself be too old.
    env: { ...process.env, SREGISTRY_REEXEC: '1' },
  });
  // Ctrl-C reaches the child from the terminal; SIGTERM is passed on. Either way the child decides.
  const forward = (signal) => () => child.kill(signal);
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', forward('SIGTERM'));
  process.on('SIGHUP', forward('SIGHUP'));
  return new Promise((resolve) => {
    child.once('error', (err) => {
      process.stderr.write(`error: could not start ${node}: ${err.message} [${NODE_VERSION_CODE}]\n`);
      resolve(2);
    });
    child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 128 + 15)));
  });
}
