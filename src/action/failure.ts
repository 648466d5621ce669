/** The one line a failed run ends with: what went wrong and what to do, with the stable code. */
import { displayLine } from '../core/display.js';
import { isSregistryError } from '../core/errors.js';

const oneLine = (text: string): string => displayLine(text.replace(/\s*[\r\n]+\s*/g, ' ').trim());

export function failureMessage(err: unknown): string {
  if (isSregistryError(err)) {
    const request = err.requestId ? `, Globus request_id ${err.requestId}` : '';
    return oneLine(`${err.message} (code ${err.code}${request})`);
  }
  const text = err instanceof Error ? err.message : String(err);
  return oneLine(`Unexpected failure: ${text} (code INTERNAL; please report it with the log of this step)`);
}
