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
    // stdout and stderr usually share the terminal: keep the bar off the result's lines.
    this.#around(() => this.#write(this.streams.stdout, text.endsWith('\n') ? text : `${text}\n`));
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
    this.#around(() => this.#write(this.streams.stderr, `${message}\n`));
  }

  /** Writes with the live status line lifted, then puts it back. */
  #around(write: () => void): void {
    const status = this.#status;
    if (status !== undefined) this.clearStatus();
    write();
    if (status !== undefined) this.status(status);
  }

  /** Draws (or redraws) the live status line in place; for terminals only. */
  status(text: string): void {
    this.#write(this.streams.stderr, `\r${text}\x1b[K`);
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
  const field = (v: string | number | null | undefined): string => (v === null || v === undefined ? '' : displayLine(String(v).replace(/\\/g, '\\\\')));
  return rows.map((r) => r.map(field).join('\t')).join('\n') + (rows.length > 0 ? '\n' : '');
}

/** Plain-text table with left-aligned columns separated by two spaces. */
export function table(headers: string[], cells: string[][]): string {
  const rows = cells.map((r) => r.map(displayLine));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const render = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [render(headers), ...rows.map(render)].join('\n') + '\n';
}

export { formatBytes } from '../index.js';

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** First 12 hex digits of a version, the way image tools show digests. */
/** A version as tables show it; '-' for a record that has none. */
export const shortVersion = (version: string | null | undefined): string => (version ? coreShortVersion(version) : '-');
