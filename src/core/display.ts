/**
 * Makes a user- or server-supplied string safe to show on one line of a terminal, a CI
 * log or an editor status: every character that could end the line, move the cursor,
 * start a terminal escape sequence or reorder the text is written as a visible escape.
 * Everything else, backslashes included, is left as it was, so ordinary text reads the
 * same.
 */

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * C0 controls and DEL, C1 controls, the line and paragraph separators, the bidi marks,
 * embeddings, overrides and isolates, and lone surrogates (which some terminals render as
 * a replacement and others swallow together with the next character).
 */
const UNSAFE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escape(ch: string): string {
  const named = NAMED[ch];
  if (named) return named;
  const code = ch.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/** `text` with every line-breaking, cursor-moving or reordering character escaped. */
export function displayLine(text: string): string {
  return String(text).replace(UNSAFE, escape);
}

/** Whether `text` already shows as it is (nothing to escape). */
export const isDisplaySafe = (text: string): boolean => !new RegExp(UNSAFE.source).test(text);
