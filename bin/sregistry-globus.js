#!/usr/bin/env node
// The version check comes first and the CLI is imported only after it: the core links
// node:sqlite, which an older Node cannot load, so a static import would fail with a
// stack trace before any check could run.
import { NODE_VERSION_CODE, nodeVersionProblem } from '../lib/node-version.js';

const problem = nodeVersionProblem();
if (problem) {
  process.stderr.write(`error: ${problem} [${NODE_VERSION_CODE}]\n`);
  process.exitCode = 2;
} else {
  const { start } = await import('../lib/cli/start.js');
  process.exitCode = await start(process.argv.slice(2));
}
