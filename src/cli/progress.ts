/**
 * Shows the core's progress events. On a terminal: one bar redrawn in place at most
 * ~10 times a second and cleared at the end. Elsewhere (pipes, CI logs): one plain line
 * every few seconds and one when the bytes are all there.
 */
import type { ProgressEvent } from '../index.js';
import { formatBytes, formatDuration, type Output } from './output.js';

export interface ProgressOptions {
  /** Terminal: live bar. Otherwise plain lines. */
  tty: boolean;
  /** Least time between two bar redraws, ms. */
  redrawMs?: number;
  /** Least time between two plain lines, ms. */
  lineMs?: number;
  now?: () => number;
}

interface Track {
  key: string;
  event: ProgressEvent;
  startedAt: number;
  startBytes: number;
  lastShown: number;
  shownBytes: number;
  finished: boolean;
}

const BAR_WIDTH = 24;

export class ProgressReporter {
  readonly #redrawMs: number;
  readonly #lineMs: number;
  readonly #now: () => number;
  #track: Track | undefined;

  constructor(
    private readonly output: Output,
    private readonly options: ProgressOptions,
  ) {
    this.#redrawMs = options.redrawMs ?? 100;
    this.#lineMs = options.lineMs ?? 2000;
    this.#now = options.now ?? Date.now;
  }

  /** The callback to hand to RegistryOptions.onProgress. */
  readonly onProgress = (event: ProgressEvent): void => {
    // Nothing moved and nothing to move yet (a delete task's progress, say): no news.
    if (!this.output.showsProgress || (event.bytes === 0 && event.total === undefined)) return;
    const now = this.#now();
    const key = `${event.phase} ${event.image} ${event.taskId ?? ''}`;
    let track = this.#track;
    if (!track || track.key !== key) {
      this.#finishTrack();
      track = {
        key,
        event,
        startedAt: now,
        startBytes: event.bytes,
        lastShown: -Infinity,
        shownBytes: -1,
        finished: false,
      };
      this.#track = track;
    }
    track.event = event;
    const done = event.total !== undefined && event.bytes >= event.total;
    if (this.options.tty) {
      // A finished bar goes away at once; steps that follow are not held under a stale 100%.
      if (done) this.output.clearStatus();
      else if (!track.finished && now - track.lastShown >= this.#redrawMs) this.#show(track, now);
    } else if (done ? !track.finished : now - track.lastShown >= this.#lineMs) {
      this.#show(track, now);
    }
    if (done) track.finished = true;
  };

  /** Clears the bar, or prints the last state a plain line has not shown yet. */
  end(): void {
    this.#finishTrack();
  }

  #finishTrack(): void {
    const track = this.#track;
    this.#track = undefined;
    if (!track) return;
    if (this.options.tty) this.output.clearStatus();
    else if (track.shownBytes !== track.event.bytes) this.#show(track, this.#now());
  }

  #show(track: Track, now: number): void {
    track.lastShown = now;
    track.shownBytes = track.event.bytes;
    if (this.options.tty) this.output.status(describe(track, now, true));
    else this.output.line(describe(track, now, false));
  }
}

function describe(track: Track, now: number, bar: boolean): string {
  const { phase, image, bytes, total } = track.event;
  const seconds = (now - track.startedAt) / 1000;
  const rate = seconds > 0 ? (bytes - track.startBytes) / seconds : 0;
  const parts: string[] = [];
  const known = total !== undefined && total > 0;
  const fraction = known ? Math.min(1, bytes / total) : 0;
  const percent = `${Math.floor(fraction * 100)}%`;
  if (bar) {
    const filled = Math.round(fraction * BAR_WIDTH);
    parts.push(`${phase} ${image}`);
    if (known) parts.push(`[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${percent.padStart(4)}`);
    parts.push(known ? `${formatBytes(bytes)}/${formatBytes(total)}` : formatBytes(bytes));
  } else {
    parts.push(
      `${phase} ${image}: ${known ? `${formatBytes(bytes)} of ${formatBytes(total)} (${percent})` : formatBytes(bytes)}`,
    );
  }
  if (rate > 0) parts.push(`${formatBytes(rate)}/s`);
  if (known && rate > 0 && bytes < total) parts.push(`ETA ${formatDuration((total - bytes) / rate)}`);
  return parts.join(bar ? '  ' : ', ');
}
