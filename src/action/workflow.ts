/**
 * The runner's side of the protocol, written out rather than loaded from @actions/core so
 * that a run that fails on its inputs costs a few milliseconds (@actions/core pulls in an
 * HTTP client at load). What it implements is GitHub's "Workflow commands" reference:
 * `::name::data` lines on stdout with `%`, CR and LF escaped, `::add-mask::`, and the
 * GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';

export type Write = (text: string) => void;

const stdoutWrite: Write = (text) => {
  process.stdout.write(text);
};

/** Escapes the data part of a workflow command, so it stays one command line. */
export const escapeData = (text: string): string =>
  text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

export class Workflow {
  constructor(
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly write: Write = stdoutWrite,
  ) {}

  command(name: string, data: string): void {
    this.write(`::${name}::${escapeData(data)}\n`);
  }

  info(message: string): void {
    this.write(`${message}\n`);
  }

  debug(message: string): void {
    this.command('debug', message);
  }

  warning(message: string): void {
    this.command('warning', message);
  }

  /** An error annotation and a failed step. */
  fail(message: string): void {
    process.exitCode = 1;
    this.command('error', message);
  }

  /** The runner replaces the value with `***` in every later line of the log. */
  mask(secret: string): void {
    if (secret !== '') this.command('add-mask', secret);
  }

  async group<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.command('group', name);
    try {
      return await fn();
    } finally {
      this.write('::endgroup::\n');
    }
  }

  /**
   * A step output, in GITHUB_OUTPUT as `name<<delimiter` … `delimiter` so any value fits.
   * Outside a runner (no GITHUB_OUTPUT) it is a debug line, which nothing reads.
   */
  setOutput(name: string, value: string): void {
    const file = this.env.GITHUB_OUTPUT;
    if (!file) {
      this.debug(`output ${name}=${value}`);
      return;
    }
    const delimiter = `sregistry_${randomUUID()}`;
    appendFileSync(file, `${name}<<${delimiter}\n${value}\n${delimiter}\n`);
  }

  /** Appends to the job summary; false outside a runner (no GITHUB_STEP_SUMMARY). */
  appendSummary(html: string): boolean {
    const file = this.env.GITHUB_STEP_SUMMARY;
    if (!file) return false;
    appendFileSync(file, html);
    return true;
  }
}
