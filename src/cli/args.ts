/**
 * Command-line parsing with node:util parseArgs (strict) and the mapping of flags plus
 * environment onto RegistryOptions. Flags win over the environment.
 */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { SregistryError, TRANSPORTS, parseTransport, registryOptionsWith, type OptionOverrides, type RegistryOptions, type TransportChoice } from '../index.js';
import type { CommandSpec, OptionHelp, OptionValues } from './command.js';
import { UsageError } from './errors.js';

export const OUTPUT_OPTIONS = {
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const satisfies ParseArgsOptionsConfig;

export const GLOBUS_OPTIONS = {
  transport: { type: 'string' },
  'local-endpoint': { type: 'string' },
  root: { type: 'string' },
  storage: { type: 'string' },
  database: { type: 'string' },
  timeout: { type: 'string' },
} as const satisfies ParseArgsOptionsConfig;

export const OUTPUT_HELP: OptionHelp[] = [
  { flag: '--json', text: 'print exactly one JSON document on stdout (results, or {"error": ...})' },
  { flag: '-q, --quiet', text: 'no steps and no progress on stderr' },
  { flag: '--debug', text: 'also show every Globus call, and stack traces on failure' },
  { flag: '-h, --help', text: 'show this help' },
  { flag: '-V, --version', text: 'show the version' },
];

export const GLOBUS_HELP: OptionHelp[] = [
  { flag: '--transport MODE', text: 'auto | https | transfer (SREGISTRY_GLOBUS_TRANSPORT; default auto)' },
  { flag: '--local-endpoint ID', text: 'local Globus endpoint for the transfer transport (SREGISTRY_GLOBUS_LOCAL_ENDPOINT)' },
  { flag: '--root PATH', text: 'registry root on the remote endpoint (SREGISTRY_GLOBUS_ROOT; default: found by sniffing)' },
  { flag: '--storage DIR', text: 'local image storage (SREGISTRY_STORAGE; default ~/.singularity/shub)' },
  { flag: '--database FILE', text: 'local records database (SREGISTRY_DATABASE; default ~/.singularity/sregistry.db)' },
  { flag: '--timeout SECONDS', text: 'longest wait for the operation, transfer tasks included' },
];

export interface ParsedCommandLine {
  values: OptionValues;
  positionals: string[];
}

/** Parses a subcommand's arguments (everything after the command name). */
export function parseCommandLine(spec: CommandSpec, argv: string[]): ParsedCommandLine {
  const options: ParseArgsOptionsConfig = spec.standalone ? spec.options : { ...OUTPUT_OPTIONS, ...(spec.registry ? GLOBUS_OPTIONS : {}), ...spec.options };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError((err as Error).message, spec.name);
  }
  const values = parsed.values as OptionValues;
  const positionals = parsed.positionals;
  if (values.help || values.version) return { values, positionals };
  const missing = spec.positionals.slice(positionals.length).filter((p) => p.required);
  if (missing.length > 0) throw new UsageError(`missing ${missing.map((p) => `<${p.name}>`).join(' ')}`, spec.name);
  if (positionals.length > spec.positionals.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[spec.positionals.length])}`, spec.name);
  }
  return { values, positionals };
}

function transportFlag(value: string): TransportChoice {
  try {
    return parseTransport(value, '--transport');
  } catch {
    throw new UsageError(`--transport must be one of ${TRANSPORTS.join(', ')}, not ${JSON.stringify(value)}`);
  }
}

function timeoutFlag(value: string): number {
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--timeout must be a positive number of seconds, not ${JSON.stringify(value)}`);
  return Math.round(seconds * 1000);
}

const str = (v: OptionValues[string]): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * RegistryOptions from the environment and the flags. `credentials` demands
 * GLOBUS_CLIENT_ID and GLOBUS_CLIENT_SECRET (commands that only read local records do not).
 */
export function registryOptions(values: OptionValues, env: NodeJS.ProcessEnv, credentials: boolean): RegistryOptions {
  const transport = str(values.transport);
  const timeout = str(values.timeout);
  const flags: OptionOverrides = {
    ...(transport !== undefined ? { transport: transportFlag(transport) } : {}),
    localEndpoint: str(values['local-endpoint']),
    root: str(values.root),
    storage: str(values.storage),
    database: str(values.database),
    ...(timeout !== undefined ? { timeoutMs: timeoutFlag(timeout) } : {}),
  } as OptionOverrides;
  let options: RegistryOptions;
  try {
    options = registryOptionsWith(env, flags);
  } catch (err) {
    // A bad variable is a usage problem of this run, like a bad flag.
    if (err instanceof SregistryError) throw new UsageError(err.message);
    throw err;
  }
  if (credentials) requireCredentials(options.globus);
  return options;
}

function requireCredentials(globus: Partial<RegistryOptions['globus']>): void {
  const absent = [
    ['GLOBUS_CLIENT_ID', globus.clientId],
    ['GLOBUS_CLIENT_SECRET', globus.clientSecret],
  ].filter(([, v]) => !v);
  if (absent.length > 0) {
    throw new UsageError(
      `set GLOBUS_CLIENT_ID and GLOBUS_CLIENT_SECRET to a Globus confidential client's id and secret (missing: ${absent.map(([n]) => n).join(', ')})`,
    );
  }
}

/** `key=value` pairs of a repeatable flag, as an object. */
export function keyValues(flag: string, items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`${flag} takes key=value, not ${JSON.stringify(item)}`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}
