/**
 * Runs in every test file: faults injected during a test are written to the ledger when it
 * ends, and an unhandled rejection or uncaught exception anywhere in the file fails it
 * (a crash of the CLI starts as one of these).
 */
import { afterAll, afterEach } from '@jest/globals';
import { flushFaults } from './ledger.js';

const escaped: string[] = [];
const describeError = (kind: string, err: unknown): string =>
  `${kind}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
const onRejection = (reason: unknown): void => {
  escaped.push(describeError('unhandled rejection', reason));
};
const onException = (err: unknown): void => {
  escaped.push(describeError('uncaught exception', err));
};
process.on('unhandledRejection', onRejection);
process.on('uncaughtException', onException);

afterEach(() => {
  flushFaults();
  if (escaped.length > 0)
    throw new Error(`An error escaped every handler during this test:\n${escaped.splice(0).join('\n')}`);
});

afterAll(async () => {
  // A rejection of the test's last moments is reported on a later tick.
  await new Promise((r) => setImmediate(r));
  process.off('unhandledRejection', onRejection);
  process.off('uncaughtException', onException);
  if (escaped.length > 0)
    throw new Error(`An error escaped every handler in this file:\n${escaped.splice(0).join('\n')}`);
});
