/** Bundle entry (dist/index.js): run, then exit with the run's code even if a pooled connection lingers. */
import { run } from './main.js';

await run();
process.exit(process.exitCode ?? 0);
