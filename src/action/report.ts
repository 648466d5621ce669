/**
 * What a run shows and returns: log lines (every one through the redactor), progress at
 * most once per interval, Globus calls as debug lines, the step outputs, the job summary
 * and the one failure line.
 */
import { displayLine, formatBytes, isSregistryError, shortVersion } from '../rules.js';
import type { ImageResult, ProgressEvent, Redactor, RegistryEvent } from '../index.js';
import { Workflow } from './workflow.js';

/** The runner's protocol for this process, reading the file-command variables when called. */
const workflow = (): Workflow => new Workflow(process.env);

export interface Log {
  info(message: string): void;
  debug(message: string): void;
  warning(message: string): void;
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

export function actionLog(redactor: Redactor): Log {
  // One line each: a raw newline in a user or server string could start a workflow command.
  const clean = (m: string): string => redactor.redact(displayLine(m));
  return {
    info: (m) => workflow().info(clean(m)),
    debug: (m) => workflow().debug(clean(m)),
    warning: (m) => workflow().warning(clean(m)),
    group: (name, fn) => workflow().group(clean(name), fn),
  };
}

// A CI log is read afterwards: a line per chunk would drown it.
export const PROGRESS_INTERVAL_MS = 5000;

export interface ProgressOptions {
  intervalMs?: number;
  now?: () => number;
}

export function progressLine(e: ProgressEvent): string {
  const of =
    e.total !== undefined && e.total > 0
      ? ` of ${formatBytes(e.total)} (${Math.floor((e.bytes / e.total) * 100)}%)`
      : '';
  const task = e.taskId ? ` [task ${e.taskId}]` : '';
  return `${e.phase} ${e.image}: ${formatBytes(e.bytes)}${of}${task}`;
}

/** A progress callback that writes one line per interval at most; the first event waits a full interval too. */
export function progressReporter(
  write: (line: string) => void,
  options: ProgressOptions = {},
): (e: ProgressEvent) => void {
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
        if (e.warning) log.warning(e.message);
        else log.info(e.message);
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

const oneLine = (text: string): string => displayLine(text.replace(/\s*[\r\n]+\s*/g, ' ').trim());

/**
 * The core words credential advice for the CLI's environment; in the Action the id and
 * secret come from its inputs, so the message names those.
 */
export const inActionWords = (text: string): string =>
  text
    .replace(/\bGLOBUS_CLIENT_ID\b/g, 'the client-id input')
    .replace(/\bGLOBUS_CLIENT_SECRET\b/g, 'the client-secret input');

/** The one line a failed run ends with: what went wrong and what to do, with the stable code. */
export function failureMessage(err: unknown): string {
  if (isSregistryError(err)) {
    const request = err.requestId ? `, Globus request_id ${err.requestId}` : '';
    return oneLine(inActionWords(`${err.message} (code ${err.code}${request})`));
  }
  const text = err instanceof Error ? err.message : String(err);
  return oneLine(`Unexpected failure: ${text} (code INTERNAL; please report it with the log of this step)`);
}

/** One image and tag of the run, as a workflow branches on it. */
export interface ResultEntry {
  image: string;
  tag: string;
  status: ImageResult['status'];
  version: string;
  uri: string;
}

export interface Outputs {
  results: ResultEntry[];
  uris: string[];
  versions: string[];
  urls: string[];
  'https-urls': string[];
  'task-ids': string[];
  files: string[];
  uri: string;
  version: string;
  /** `sha256:<hex>` of the first image: what actions/attest-build-provenance takes as subject-digest. */
  digest: string;
  /** `sha256:<hex>` of each image (one per distinct image and version, in order). */
  digests: string[];
  /** pull: 'true' when every tag came from the Actions cache; '' for push. */
  'cache-hit': string;
}

export function outputsFor(command: 'push' | 'pull', results: ImageResult[]): Outputs {
  return {
    results: results.map((r) => ({
      image: `${r.collection}/${r.name}`,
      tag: r.tag,
      status: r.status,
      version: r.version,
      uri: r.uri,
    })),
    uris: results.map((r) => r.uri),
    versions: results.map((r) => r.version),
    urls: results.map((r) => r.webUrl ?? ''),
    'https-urls': results.map((r) => r.httpsUrl ?? ''),
    'task-ids': results.map((r) => r.taskId ?? ''),
    files: results.flatMap((r) => (r.image ? [r.image] : [])),
    uri: results[0]?.uri ?? '',
    version: results[0]?.version ?? '',
    digest: results[0] ? `sha256:${results[0].version}` : '',
    digests: [...new Set(results.map((r) => `${r.collection}/${r.name}@${r.version}`))].map(
      (k) => `sha256:${k.slice(k.lastIndexOf('@') + 1)}`,
    ),
    'cache-hit': command === 'pull' ? String(results.length > 0 && results.every((r) => r.status === 'cached')) : '',
  };
}

export function setOutputs(command: 'push' | 'pull', results: ImageResult[]): void {
  for (const [name, value] of Object.entries(outputsFor(command, results))) {
    workflow().setOutput(name, typeof value === 'string' ? value : JSON.stringify(value));
  }
}

/** push: what replicate-to copied and what keep pruned (empty arrays when not asked for). */
export function setLifecycleOutputs(replicas: string[], pruned: string[]): void {
  workflow().setOutput('replicas', JSON.stringify(replicas));
  workflow().setOutput('pruned', JSON.stringify(pruned));
}

export interface SummaryRow {
  result: ImageResult;
  /** How long the operation for this image took. */
  ms: number;
}

const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export function summaryTable(rows: SummaryRow[]): string[][] {
  return rows.map(({ result: r, ms }) => {
    // The HTTPS URL when there is one, else the web app folder.
    const url = r.httpsUrl ?? r.webUrl ?? '';
    return [
      escape(`${r.collection}/${r.name}:${r.tag}`),
      `<code>${escape(shortVersion(r.version))}</code>`,
      escape(formatBytes(r.size)),
      `<a href="${escape(url)}">${escape(r.httpsUrl ? 'download' : 'Globus')}</a>`,
      escape(r.status),
      escape(seconds(ms)),
    ];
  });
}

const row = (cells: string[], tag: 'th' | 'td'): string =>
  `<tr>${cells.map((c) => `<${tag}>${c}</${tag}>`).join('')}</tr>`;

/** The job summary of a run, as HTML (GitHub renders both HTML and Markdown there). */
export function summaryHtml(command: string, endpoint: string, rows: SummaryRow[], failure?: string): string {
  const parts = [`<h3>sregistry-globus ${escape(command)}</h3>`, `<p>Collection <code>${escape(endpoint)}</code></p>`];
  if (rows.length > 0) {
    const header = row(['Image', 'Version', 'Size', 'URL', 'Status', 'Time'], 'th');
    parts.push(
      `<table>${header}${summaryTable(rows)
        .map((cells) => row(cells, 'td'))
        .join('')}</table>`,
    );
  } else if (failure === undefined) {
    parts.push('<p>No image.</p>');
  }
  if (failure !== undefined) parts.push(`<p><strong>Failed:</strong> ${escape(failure)}</p>`);
  return `${parts.join('\n')}\n`;
}

/** Appends to GITHUB_STEP_SUMMARY; without it (a local run) there is nothing to write. */
export async function writeSummary(
  command: string,
  endpoint: string,
  rows: SummaryRow[],
  failure?: string,
): Promise<void> {
  workflow().appendSummary(summaryHtml(command, endpoint, rows, failure));
}
