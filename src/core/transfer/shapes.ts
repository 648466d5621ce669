/**
 * Checks of the Transfer answers the core relies on, made where they arrive: a service
 * (or anything at its URL) that answers JSON of another shape gets a typed
 * INVALID_RESPONSE instead of a TypeError deep inside an operation.
 */
import { SregistryError } from '../errors.js';
import { isPlainObject } from '../layout.js';

function invalid(what: string, why: string): SregistryError {
  return new SregistryError(
    'INVALID_RESPONSE',
    `The answer to ${what} ${why}; check the Transfer service URL (GLOBUS_SDK_SERVICE_URL_TRANSFER)`,
  );
}

/** An object whose listed keys are strings. */
export function documentWith<T>(value: unknown, what: string, stringKeys: readonly string[]): T {
  if (!isPlainObject(value)) throw invalid(what, 'is not a JSON object');
  for (const key of stringKeys) if (typeof value[key] !== 'string') throw invalid(what, `has no string "${key}"`);
  return value as T;
}

/** `DATA` of a list answer: absent means empty; otherwise an array of objects whose listed keys are strings. */
export function dataOf<T>(page: unknown, what: string, stringKeys: readonly string[]): T[] {
  if (!isPlainObject(page)) throw invalid(what, 'is not a JSON object');
  const data = page.DATA;
  if (data === undefined || data === null) return [];
  if (!Array.isArray(data)) throw invalid(what, 'has a DATA that is not a list');
  for (const item of data) documentWith(item, what, stringKeys);
  return data as T[];
}
