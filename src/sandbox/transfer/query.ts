import { badRequest } from '../errors.js';

/** An integer query parameter within [min, max], its default when absent; 400 otherwise. */
export function intParam(url: URL, name: string, fallback: number, min: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw)) throw badRequest(`Invalid ${name}: '${raw}' is not an integer`);
  const value = Number(raw);
  if (value < min || value > max) throw badRequest(`Invalid ${name}: ${raw} is not between ${min} and ${max}`);
  return value;
}

/** A boolean query parameter (`1/0`, `true/false`), its default when absent; 400 otherwise. */
export function boolParam(url: URL, name: string, fallback: boolean): boolean {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  const lower = raw.toLowerCase();
  if (lower === '1' || lower === 'true') return true;
  if (lower === '0' || lower === 'false') return false;
  throw badRequest(`Invalid ${name}: '${raw}' is not a boolean (use 1 or 0)`);
}
