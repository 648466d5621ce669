/**
 * What the suite proves, counted as it runs: faults the sandbox injected, concurrent
 * operations held, hostile inputs tried, bytes scanned for secrets. Each test process
 * appends JSON lines to `.reliability/ledger/<pid>.jsonl`; the reliability reporter
 * (scripts/jest-reliability-reporter.cjs) keeps only the lines of tests that passed and
 * writes the totals that `npm run reliability` renders into docs/RELIABILITY.md.
 */
import { expect } from '@jest/globals';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LEDGER_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '.reliability', 'ledger');

export type LedgerEntry =
  | { kind: 'fault'; surface: string; fault: string; transport: string }
  | { kind: 'kill'; operation: string; transport: string }
  | { kind: 'concurrent'; scenario: string; operations: number; processes: number }
  | { kind: 'property'; property: string; runs: number }
  | { kind: 'secrets'; scope: string; files: number; bytes: number; hits: number }
  | { kind: 'hostile'; case: string; frontEnd: string };

interface CurrentTest {
  testPath: string;
  test: string;
}

function currentTest(): CurrentTest {
  try {
    const state = expect.getState();
    return { testPath: state.testPath ?? '', test: state.currentTestName ?? '' };
  } catch {
    return { testPath: '', test: '' };
  }
}

/** Appends one entry, attributed to the running test (or to `at`, for entries flushed after it). */
export function ledger(entry: LedgerEntry, at: CurrentTest = currentTest()): void {
  mkdirSync(LEDGER_DIR, { recursive: true });
  appendFileSync(join(LEDGER_DIR, `${process.pid}.jsonl`), `${JSON.stringify({ ...at, ...entry })}\n`);
}

export const countProperty = (property: string, runs: number): void => ledger({ kind: 'property', property, runs });

export const countConcurrent = (scenario: string, operations: number, processes = 1): void =>
  ledger({ kind: 'concurrent', scenario, operations, processes });

export const countSecretsScan = (scope: string, scan: { files: number; bytes: number; hits: number }): void =>
  ledger({ kind: 'secrets', scope, ...scan });

/** One hostile case (what a co-writer of a registry or a hostile server can do) met through one front end. */
export const countHostile = (hostileCase: string, frontEnd: 'core' | 'CLI' | 'Action' | 'Node-RED' | 'sandbox'): void =>
  ledger({ kind: 'hostile', case: hostileCase, frontEnd });

export const countKill = (operation: string, transport: string): void => ledger({ kind: 'kill', operation, transport });

/** A fault as the sandbox's FaultBook hands it out (request faults and task faults). */
export interface TakenFault {
  origin: string;
  method?: string;
  path?: string;
  taskType?: string;
  kind: string;
  status?: number;
}

/** Where a fault hit, in the words of the API it belongs to. */
export function faultSurface(f: TakenFault): { surface: string; transport: string } {
  if (f.taskType) return { surface: `Transfer ${f.taskType} task`, transport: 'transfer' };
  const path = f.path ?? '';
  if (f.origin !== 'main') return { surface: `collection HTTPS ${f.method ?? ''}`.trim(), transport: 'https' };
  if (path.startsWith('/v2/oauth2/')) return { surface: 'Auth token', transport: 'any' };
  if (/\/operation\/endpoint\/[^/]+\/(ls|stat)$/.test(path)) return { surface: 'Transfer ls/stat', transport: 'any' };
  if (/\/operation\/endpoint\/[^/]+\/(mkdir|rename)$/.test(path))
    return { surface: 'Transfer mkdir/rename', transport: 'any' };
  if (/\/(transfer|delete|submission_id)$/.test(path)) return { surface: 'Transfer submission', transport: 'transfer' };
  if (path.includes('/task')) return { surface: 'Transfer task status', transport: 'transfer' };
  if (path.includes('endpoint_search') || /\/endpoint\/[^/]+$/.test(path))
    return { surface: 'Transfer endpoint lookup', transport: 'any' };
  return { surface: 'other', transport: 'any' };
}

const pending: { fault: TakenFault; at: CurrentTest }[] = [];

/** Records a fault the sandbox just injected; written when the test that caused it ends. */
export function noteFault(fault: TakenFault): void {
  pending.push({ fault, at: currentTest() });
}

/** Writes the faults noted so far (called after each test and when a sandbox stops). */
export function flushFaults(): void {
  const now = currentTest();
  for (const { fault, at } of pending.splice(0)) {
    const where = at.test ? at : now;
    const kind = fault.kind === 'status' && fault.status ? `status ${fault.status}` : fault.kind;
    ledger({ kind: 'fault', fault: kind, ...faultSurface(fault) }, where);
  }
}
