import { closeHttp } from '../../src/core/http/index.js';
import type { TestSandbox } from './sandbox.js';

/** Drops the sandbox's fault rules and request log, so a test sees only its own requests. */
export function resetFaults(sb: TestSandbox): void {
  sb.context.faults.clear();
  sb.context.faults.clearLog();
}

/** Closes the core's pooled connections, then the sandbox and its temp folder. */
export async function closeCoreAndSandbox(sb: TestSandbox): Promise<void> {
  await closeHttp();
  await sb.stop();
}
