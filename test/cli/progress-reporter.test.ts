import { describe, expect, it } from '@jest/globals';
import { PassThrough } from 'node:stream';
import type { ProgressEvent } from '../../src/core/registry/types.js';
import { Output } from '../../src/cli/output.js';
import { ProgressReporter } from '../../src/cli/progress.js';
import { Redactor } from '../../src/index.js';

const MiB = 1024 * 1024;

/** A reporter on an in-memory stderr with a clock the test moves. */
function setup(tty: boolean, mode: Partial<Output['mode']> = {}) {
  const stderr = new PassThrough();
  const stdout = new PassThrough();
  let written = '';
  stderr.setEncoding('utf8').on('data', (d: string) => (written += d));
  const output = new Output(
    { stdout, stderr, stderrIsTTY: tty },
    { json: false, quiet: false, debug: false, ...mode },
    new Redactor(),
  );
  let now = 1_000_000;
  const reporter = new ProgressReporter(output, { tty, now: () => now });
  return {
    output,
    reporter,
    advance: (ms: number) => (now += ms),
    text: async () => {
      await new Promise((r) => setImmediate(r));
      return written;
    },
  };
}

const event = (bytes: number, total = 10 * MiB): ProgressEvent => ({
  phase: 'upload',
  image: 'lab/app:latest',
  bytes,
  total,
});

describe('ProgressReporter', () => {
  it('redraws a terminal bar at most every 100 ms, with rate and ETA, and clears it when done', async () => {
    const t = setup(true);
    t.reporter.onProgress(event(0));
    t.advance(50);
    t.reporter.onProgress(event(1 * MiB)); // too soon: not drawn
    t.advance(950);
    t.reporter.onProgress(event(2 * MiB));
    t.advance(1000);
    t.reporter.onProgress(event(10 * MiB));
    const text = await t.text();
    const frames = text.split('\r').filter((f) => f.startsWith('upload'));
    expect(frames).toHaveLength(2);
    expect(frames[1]).toBe(
      'upload lab/app:latest  [#####-------------------]  20%  2.0 MiB/10.0 MiB  2.0 MiB/s  ETA 4s\x1b[K',
    );
    expect(text.endsWith('\r\x1b[K')).toBe(true);
    expect(text).not.toContain('\n');
  });

  it('keeps the bar below a step line printed while it is shown', async () => {
    const t = setup(true);
    t.reporter.onProgress(event(1 * MiB));
    t.output.step('waiting for task 1');
    const text = await t.text();
    expect(text).toContain('\r\x1b[Kwaiting for task 1\n\rupload lab/app:latest  [');
  });

  it('prints a plain line at first, then every 2 s, and at 100%', async () => {
    const t = setup(false);
    t.reporter.onProgress(event(0));
    for (let i = 1; i <= 9; i++) {
      t.advance(500);
      t.reporter.onProgress(event(i * MiB));
    }
    t.advance(500);
    t.reporter.onProgress(event(10 * MiB));
    t.reporter.onProgress(event(10 * MiB));
    t.reporter.end();
    const lines = (await t.text()).trimEnd().split('\n');
    expect(lines).toEqual([
      'upload lab/app:latest: 0 B of 10.0 MiB (0%)',
      'upload lab/app:latest: 4.0 MiB of 10.0 MiB (40%), 2.0 MiB/s, ETA 3s',
      'upload lab/app:latest: 8.0 MiB of 10.0 MiB (80%), 2.0 MiB/s, ETA 1s',
      'upload lab/app:latest: 10.0 MiB of 10.0 MiB (100%), 2.0 MiB/s',
    ]);
  });

  it('shows the last state at the end when no line showed it yet; nothing for no bytes of an unknown total', async () => {
    const t = setup(false);
    t.reporter.onProgress({ phase: 'transfer', image: 'lab/app:v1', bytes: 0 });
    t.reporter.onProgress({ phase: 'transfer', image: 'lab/app:v1', bytes: 1 * MiB });
    t.advance(200);
    t.reporter.onProgress({ phase: 'transfer', image: 'lab/app:v1', bytes: 3 * MiB });
    t.reporter.end();
    expect((await t.text()).trimEnd().split('\n')).toEqual([
      'transfer lab/app:v1: 1.0 MiB',
      'transfer lab/app:v1: 3.0 MiB, 10.0 MiB/s',
    ]);
  });

  it('lifts the terminal bar around result lines on stdout', async () => {
    const t = setup(true);
    t.reporter.onProgress(event(1 * MiB));
    t.output.result('    step 3 done');
    const text = await t.text();
    // Cleared before the stdout write, drawn again after it.
    expect(text.split('\r\x1b[K')).toHaveLength(2);
    expect(text.split('\r').filter((f) => f.startsWith('upload'))).toHaveLength(2);
  });

  it.each([{ quiet: true }, { json: true }])('shows nothing with %j', async (mode) => {
    for (const tty of [true, false]) {
      const t = setup(tty, mode);
      t.reporter.onProgress(event(1 * MiB));
      t.reporter.onProgress(event(10 * MiB));
      t.reporter.end();
      expect(await t.text()).toBe('');
    }
  });
});
