// The frame of a peak-memory bench: a sandbox child on a fresh data folder, the bench's
// work against it, then the child's high-water RSS against a limit.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peakRssKiB, startSandboxChild, stopChild } from './sandbox-child.mjs';

/**
 * Starts the sandbox child, runs `work({ start, dataDir })` (it answers whether its result
 * was right), prints the child's peak RSS, and sets the exit code: 1 when the work failed,
 * was wrong, or the peak reached `limitMb`. The child is stopped and the folder removed.
 */
export async function runRssBench({ tmpPrefix, readStartInfo, limitMb }, work) {
  const dataDir = await mkdtemp(join(tmpdir(), tmpPrefix));
  const { child, start } = await startSandboxChild(dataDir, readStartInfo);
  let failed = false;
  try {
    const ok = await work({ start, dataDir });
    const peakMb = Math.round((await peakRssKiB(child.pid)) / 1024);
    const pass = peakMb < limitMb;
    console.log(`sandbox peak RSS: ${peakMb} MB (${pass ? 'pass' : 'FAIL'}: limit ${limitMb} MB)`);
    failed = !ok || !pass;
  } catch (err) {
    console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
    failed = true;
  } finally {
    await stopChild(child);
    await rm(dataDir, { recursive: true, force: true });
  }
  process.exitCode = failed ? 1 : 0;
}
