/**
 * Timeouts have one unit across the front ends: seconds (the CLI's --timeout, Globus's own
 * timeouts). Each front end also takes a unit suffix, `s`, `m` or `h` (`900s`, `15m`,
 * `1.5h`), so a value reads the same wherever it is written.
 */
import { SregistryError } from './errors.js';

export type DurationUnit = 's' | 'm' | 'h';

const SECONDS: Record<DurationUnit, number> = { s: 1, m: 60, h: 3600 };

export interface ParsedDuration {
  seconds: number;
  /** Whether the text named its unit (false: a bare number, read in `bareUnit`). */
  unitGiven: boolean;
}

/** A positive duration: a number with an optional s, m or h; a bare number is in `bareUnit` (seconds unless a front end's older form says otherwise). */
export function parseDuration(text: string, what: string, bareUnit: DurationUnit = 's'): ParsedDuration {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([smh]?)\s*$/i.exec(String(text));
  const n = m ? Number(m[1]) : NaN;
  if (!m || !Number.isFinite(n) || n <= 0) {
    throw new SregistryError(
      'INVALID_INPUT',
      `${what} is ${JSON.stringify(String(text))}: give a positive number of seconds, e.g. 900, or with a unit: 900s, 15m, 1h`,
    );
  }
  const unit = (m[2]?.toLowerCase() || bareUnit) as DurationUnit;
  return { seconds: n * SECONDS[unit], unitGiven: m[2] !== '' };
}
