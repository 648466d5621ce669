/**
 * Turns the core's callbacks into log lines: progress at most once per interval (a CI
 * log is read afterwards, a line per chunk would drown it), API calls as debug lines.
 */
import type { ProgressEvent, RegistryEvent } from '../core/registry/types.js';
import { formatBytes } from './format.js';
import type { Log } from './log.js';

export const PROGRESS_INTERVAL_MS = 5000;

export interface ProgressOptions {
  intervalMs?: number;
  now?: () => number;
}

export function progressLine(e: ProgressEvent): string {
  const of = e.total !== undefined && e.total > 0 ? ` of ${formatBytes(e.total)} (${Math.floor((e.bytes / e.total) * 100)}%)` : '';
  const task = e.taskId ? ` [task ${e.taskId}]` : '';
  return `${e.phase} ${e.image}: ${formatBytes(e.bytes)}${of}${task}`;
}

/** A progress callback that writes one line per interval at most; the first event waits a full interval too. */
export function progressReporter(write: (line: string) => void, options: ProgressOptions = {}): (e: ProgressEvent) => void {
  const interval = options.intervalMs ?? PROGRESS_INTERVAL_MS;
  const now = options.now ?? Date.now;
  let last = now();
  return (e) => {
    const t = now();
    if (t - last < interval) return;
    last = t;
    write(progressLine(e));
  };
}

export function eventLogger(log: Log): (e: RegistryEvent) => void {
  return (e) => {
    switch (e.type) {
      case 'step':
        log.debug(e.message);
        break;
      case 'notice':
        log.info(e.message);
        break;
      case 'call': {
        const c = e.call;
        const request = c.requestId ? ` request_id=${c.requestId}` : '';
        const retries = c.retries > 0 ? ` retries=${c.retries}` : '';
        log.debug(`${c.method} ${c.url} -> ${c.status} in ${Math.round(c.durationMs)} ms${retries}${request}`);
        break;
      }
    }
  };
}
