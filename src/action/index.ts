/**
 * Bundle entry (dist/index.js): check the Node version, then load and run the Action and
 * exit with the run's code even if a pooled connection lingers. main.js comes in by
 * import() after the check (a chunk of its own in dist/): it links node:sqlite, which an
 * older Node fails to load before any code of this file could run.
 */
import { NODE_VERSION_CODE, nodeVersionProblem } from '../node-version.js';

const problem = nodeVersionProblem();
if (problem) {
  process.stdout.write(`::error::${problem} [${NODE_VERSION_CODE}]\n`);
  process.exit(2);
}
// Stack traces of a failed run name src/ lines through dist/'s source maps.
process.setSourceMapsEnabled(true);
const { run } = await import('./main.js');
await run();
process.exit(process.exitCode ?? 0);
