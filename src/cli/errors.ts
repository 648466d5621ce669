/** Exit codes and the one-line (or one-document) way the CLI reports a failure. */
import { displayLine, SregistryError } from '../index.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
/** Stopped by Ctrl-C / SIGTERM, as shells report it. */
export const EXIT_INTERRUPTED = 130;

/** A command line the CLI cannot run: unknown flag, missing argument, bad value, missing credentials. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose --help would help, if any. */
    readonly command?: string,
    /** The stable code reported: USAGE, or the core's (INVALID_REFERENCE) when an argument was malformed. */
    readonly code: string = 'USAGE',
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ErrorDocument {
  error: { code: string; message: string; requestId: string | null; request_id: string | null; [key: string]: unknown };
}

/**
 * JSON keys are camelCase, in results and errors alike (docs/cli.md). The error document
 * also keeps its first snake_case keys (`request_id`, `globus_code`, `required_scopes`,
 * Globus's own spelling) with the same values, so scripts written against 0.1 keep working;
 * they go in 1.0.
 */
function camelKeys(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields))
    out[key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = value;
  return out;
}

const oneLine = (text: string): string => displayLine(text.replace(/\s*\n\s*/g, ' ').trim());

/** Makes sure a PERMISSION_DENIED message names the identity that needs the permission. */
function withIdentity(err: SregistryError, clientId: string | undefined): string {
  const message = oneLine(err.message);
  if (err.code !== 'PERMISSION_DENIED' || !clientId) return message;
  const identity = `${clientId}@clients.auth.globus.org`;
  if (message.includes(identity)) return message;
  return `${message}; grant access on the endpoint to ${identity}`;
}

/** `error: <what failed>: <message> [<code>] (request id <id>)` */
export function errorLine(err: unknown, what: string | undefined, clientId?: string): string {
  const prefix = what ? `error: ${displayLine(what)}: ` : 'error: ';
  if (err instanceof UsageError) {
    const hint = err.command ? `sregistry-globus ${err.command} --help` : 'sregistry-globus --help';
    return `${prefix}${oneLine(err.message)} [${err.code}] (see ${hint})`;
  }
  if (err instanceof SregistryError) {
    const id = err.requestId ? ` (request id ${err.requestId})` : '';
    return `${prefix}${withIdentity(err, clientId)} [${err.code}]${id}`;
  }
  const message = err instanceof Error ? err.message : String(err);
  return `${prefix}${oneLine(message)} [INTERNAL]`;
}

export function errorDocument(err: unknown, clientId?: string): ErrorDocument {
  if (err instanceof SregistryError) {
    const fields = err.toJSON();
    const requestId = err.requestId ?? null;
    return {
      error: {
        ...camelKeys(fields),
        ...fields,
        code: err.code,
        message: withIdentity(err, clientId),
        requestId,
        request_id: requestId,
      },
    };
  }
  const code = err instanceof UsageError ? err.code : 'INTERNAL';
  const message = oneLine(err instanceof Error ? err.message : String(err));
  return { error: { code, message, requestId: null, request_id: null } };
}

/** The core's code for a reference or URI that does not parse (or names an image sregistry-cli would read as another). */
const MALFORMED_ARGUMENT = 'INVALID_REFERENCE';

export function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) return EXIT_USAGE;
  if (err instanceof SregistryError && err.code === MALFORMED_ARGUMENT) return EXIT_USAGE;
  if (err instanceof SregistryError && err.code === 'ABORTED') return EXIT_INTERRUPTED;
  return EXIT_FAILED;
}

/** Stack and causes, for --debug only. */
export function debugDetails(err: unknown): string {
  const lines: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (current instanceof Error)
      lines.push(depth === 0 ? (current.stack ?? current.message) : `caused by: ${current.stack ?? current.message}`);
    else lines.push(`caused by: ${String(current)}`);
    current = current instanceof Error ? current.cause : undefined;
  }
  return lines.join('\n');
}
