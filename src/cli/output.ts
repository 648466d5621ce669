/**
 * Where the CLI writes: results on stdout (a human table, or exactly one JSON document
 * with --json), everything else on stderr. Every write passes through the redactor.
 */
import { displayLine, shortVersion as coreShortVersion, type Redactor } from '../index.js';

export interface OutputMode {
  json: boolean;
  /** -F unix: results as tab-separated records, one per line. */
  unix?: boolean;
  quiet: boolean;
  debug: boolean;
}

export interface Streams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Whether stderr is a terminal (live progress bar) or not (plain progress lines). */
  stderrIsTTY: boolean;
  /** The terminal's width when stderr is one and tells it: a live status line stays below it. */
  columns?: number;
  /** Colour on stdout and on stderr (see useColour); none when absent. */
  colour?: { stdout: boolean; stderr: boolean };
}

/**
 * Whether to colour a stream: on a terminal only (not TERM=dumb), never with NO_COLOR set
 * to anything (no-color.org), always with FORCE_COLOR set (except to 0 or false), the
 * conventions most command-line tools follow.
 */
export function useColour(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !['0', 'false'].includes(force.trim().toLowerCase());
  return isTTY && env.TERM !== 'dumb';
}

const SGR = { bold: '1', dim: '2', red: '31', green: '32', yellow: '33' } as const;
const paint = (style: keyof typeof SGR, text: string): string => `\x1b[${SGR[style]}m${text}\x1b[0m`;
const DONE = /^(\s*)(pushed|pulled|recorded|copied|deleted|added|removed|ok)(?= )/;
const UNCHANGED =
  /^(\s*)(exists|already there|would delete|would keep|kept|nothing to prune|nothing found|no local records)\b/;
/** A table's header row: capitals, digits and the spaces between columns. */
const HEADER = /^(\s*)([A-Z][A-Z0-9]*(?: +[A-Z][A-Z0-9]*)+)$/;

/** Result text with its table headers bold and its status words coloured; the layout is untouched. */
function paintResult(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const header = HEADER.exec(line);
      if (header) return `${header[1]}${paint('bold', header[2]!)}`;
      return line
        .replace(DONE, (_, pad: string, word: string) => `${pad}${paint('green', word)}`)
        .replace(UNCHANGED, (_, pad: string, word: string) => `${pad}${paint('yellow', word)}`);
    })
    .join('\n');
}

/** A stderr line with its leading `error:` or `note:` coloured. */
function paintLine(line: string): string {
  return line
    .replace(/^error:/, paint('red', 'error:'))
    .replace(/^note:/, paint('yellow', 'note:'))
    .replace(/^warning:/, paint('yellow', 'warning:'));
}

/** `text` cut to `columns - 1` characters (ending in `…` when cut); whole when the width is unknown. */
export function fitColumns(text: string, columns: number | undefined): string {
  if (columns === undefined || !Number.isFinite(columns) || columns < 2) return text;
  const chars = Array.from(text);
  return chars.length <= columns - 1 ? text : `${chars.slice(0, Math.max(columns - 2, 0)).join('')}…`;
}

export class Output {
  /** The live status line (progress bar) currently drawn on stderr, if any. */
  #status: string | undefined;

  constructor(
    readonly streams: Streams,
    readonly mode: OutputMode,
    readonly redactor: Redactor,
  ) {}

  /** Human result text on stdout; nothing with --json. */
  result(text: string): void {
    if (this.mode.json || text === '') return;
    const shown = this.streams.colour?.stdout ? paintResult(text) : text;
    // stdout and stderr usually share the terminal: keep the bar off the result's lines.
    this.#around(() => this.#write(this.streams.stdout, shown.endsWith('\n') ? shown : `${shown}\n`));
  }

  /** The one JSON document of --json. */
  json(document: unknown): void {
    this.#write(this.streams.stdout, `${JSON.stringify(document, null, 2)}\n`);
  }

  /** One compact JSON document on one line of stdout, written at once (JSON Lines). */
  jsonLine(document: unknown): void {
    this.#around(() => this.#write(this.streams.stdout, `${JSON.stringify(document)}\n`));
  }

  /** A step of the work; hidden by --quiet and --json. */
  step(message: string): void {
    if (!this.mode.quiet && !this.mode.json) this.line(displayLine(message));
  }

  /** Only with --debug. */
  debug(message: string): void {
    if (this.mode.debug) this.line(`debug: ${message}`);
  }

  /** Whether progress may be shown at all. */
  get showsProgress(): boolean {
    return !this.mode.quiet && !this.mode.json;
  }

  /** One line on stderr, always shown; a live status line is kept below it. */
  line(message: string): void {
    const shown = this.streams.colour?.stderr ? paintLine(message) : message;
    this.#around(() => this.#write(this.streams.stderr, `${shown}\n`));
  }

  /** Writes with the live status line lifted, then puts it back. */
  #around(write: () => void): void {
    const status = this.#status;
    if (status !== undefined) this.clearStatus();
    write();
    if (status !== undefined) this.status(status);
  }

  /**
   * Draws (or redraws) the live status line in place; for terminals only. Cut to one
   * column less than the terminal: a line that wraps leaves its first row behind at every
   * redraw, since `\r` returns to the start of the last row only.
   */
  status(text: string): void {
    const shown = fitColumns(text, this.streams.columns);
    this.#write(this.streams.stderr, `\r${shown}\x1b[K`);
    this.#status = text;
  }

  clearStatus(): void {
    if (this.#status === undefined) return;
    this.#write(this.streams.stderr, '\r\x1b[K');
    this.#status = undefined;
  }

  #write(stream: NodeJS.WritableStream, text: string): void {
    stream.write(this.redactor.redact(text));
  }
}

/**
 * `-F unix`: one record per line, fields separated by one tab, for `cut`, `read` and
 * `while read`. A backslash inside a field is written `\\`, then every control or
 * reordering character as `displayLine` writes it (`\t`, `\n`, `\x1b`, `\u{202e}`), so a
 * record stays one line and nothing in it drives the terminal; an absent value is an
 * empty field.
 */
export function unixLines(rows: Array<Array<string | number | null | undefined>>): string {
  const field = (v: string | number | null | undefined): string =>
    v === null || v === undefined ? '' : displayLine(String(v).replace(/\\/g, '\\\\'));
  return rows.map((r) => r.map(field).join('\t')).join('\n') + (rows.length > 0 ? '\n' : '');
}

/** The widest a table gets: an 80-column-friendly layout that fits 120 columns at most. */
export const TABLE_WIDTH = 120;

export interface TableOptions {
  /** Columns aligned right (numbers, sizes). */
  right?: number[];
  /** Columns that may be shortened in the middle (with …) when the table would be wider than TABLE_WIDTH, the first given cut first. */
  shrink?: number[];
  /** Of those, the ones cut at their start instead, keeping the end (a path's file name). */
  keepEnd?: number[];
}

/** The narrowest a shortened column gets (its header permitting). */
const SHRINK_FLOOR = 28;

/** A 64-hex version inside a cell (a file name, a URI), shown as its first 12 digits and … */
const shortHashes = (text: string): string => text.replace(/[0-9a-f]{64}/g, (h) => `${h.slice(0, 12)}…`);

function middleCut(text: string, width: number, keepEnd = false): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  if (keepEnd) return `…${chars.slice(chars.length - (width - 1)).join('')}`;
  const head = Math.ceil((width - 1) / 2);
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - (width - 1 - head)).join('')}`;
}

const shownWidth = (text: string): number => [...text].length;

/**
 * Plain-text table, columns separated by two spaces, widths measured on the displayed
 * (escaped) text. Full versions inside cells are shortened to 12 digits; when the table
 * is still wider than TABLE_WIDTH, the `shrink` columns are cut in the middle, in the
 * order given. Full values are in -F json and -F unix.
 */
export function table(headers: string[], cells: string[][], options: TableOptions = {}): string {
  const right = new Set(options.right ?? []);
  const keepEnd = new Set(options.keepEnd ?? []);
  const rows = cells.map((r) => r.map((c) => shortHashes(displayLine(c))));
  const widths = headers.map((h, i) => Math.max(shownWidth(h), ...rows.map((r) => shownWidth(r[i] ?? ''))));
  const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  // The shrink columns in the order given, each down to its floor before the next is cut.
  for (const i of (options.shrink ?? []).filter((c) => c < widths.length)) {
    const floor = Math.max(shownWidth(headers[i] ?? ''), keepEnd.has(i) ? SHRINK_FLOOR - 4 : SHRINK_FLOOR);
    const excess = total() - TABLE_WIDTH;
    if (excess <= 0) break;
    widths[i] = Math.max(Math.min(floor, widths[i] ?? 0), (widths[i] ?? 0) - excess);
  }
  const pad = (text: string, i: number, last: boolean): string => {
    const width = widths[i] ?? 0;
    const cut = middleCut(text, width, keepEnd.has(i));
    const gap = ' '.repeat(Math.max(0, width - shownWidth(cut)));
    if (right.has(i)) return gap + cut;
    return last ? cut : cut + gap;
  };
  const render = (row: string[]) =>
    row
      .map((c, i) => pad(c, i, i === row.length - 1))
      .join('  ')
      .trimEnd();
  return [render(headers), ...rows.map(render)].join('\n') + '\n';
}

/**
 * The one way times are shown to people: `YYYY-MM-DD HH:MM:SS UTC`. Takes what the core
 * carries: ISO 8601 (`...T...Z`, Globus listings), the records database's
 * `YYYY-MM-DD HH:MM:SS[.ffffff]` (UTC, as sregistry-cli writes it), or epoch milliseconds.
 * Anything else is shown as it came.
 */
export function formatTime(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  let ms: number;
  if (typeof value === 'number') ms = value;
  else {
    const text = value.trim();
    const db = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
    if (!db) return displayLine(text);
    ms = Date.parse(`${db[1]}T${db[2]}${db[3] ?? 'Z'}`);
  }
  if (!Number.isFinite(ms)) return displayLine(String(value));
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export { formatBytes } from '../index.js';

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A version as tables show it (its first 12 hex digits, the way image tools show digests); '-' for a record that has none. */
export const shortVersion = (version: string | null | undefined): string => (version ? coreShortVersion(version) : '-');
