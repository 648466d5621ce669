/**
 * Command-line parsing with node:util parseArgs (strict) and the mapping of flags plus
 * environment onto RegistryOptions. Flags win over the environment.
 */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import {
  SregistryError,
  TRANSPORTS,
  TRANSPORT_HELP,
  databaseInFolder,
  parseDuration,
  parseTransport,
  parseVerifyPolicy,
  readKeyringFile,
  readSecretFile,
  registryOptionsWith,
  type OptionOverrides,
  type RegistryOptions,
  type TransportChoice,
} from '../index.js';
import type { CommandSpec, OptionHelp, OptionValues } from './command.js';
import { UsageError } from './errors.js';
import { parseArgsMessage } from './suggest.js';

export const OUTPUT_OPTIONS = {
  json: { type: 'boolean' },
  format: { type: 'string', short: 'F' },
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
  'database-file': { type: 'string' },
  'client-secret-file': { type: 'string' },
  timeout: { type: 'string' },
  verify: { type: 'string' },
  keyring: { type: 'string', multiple: true },
} as const satisfies ParseArgsOptionsConfig;

export const OUTPUT_HELP: OptionHelp[] = [
  {
    flag: '-F, --format FORMAT',
    text: 'text (default) | json | unix (one tab-separated record per line), as globus-cli',
  },
  { flag: '--json', text: 'the same as -F json: exactly one JSON document on stdout (results, or {"error": ...})' },
  { flag: '-q, --quiet', text: 'no steps and no progress on stderr' },
  { flag: '--debug', text: 'also show every Globus call, and stack traces on failure' },
  { flag: '-h, --help', text: 'show this help' },
  { flag: '-V, --version', text: 'show the version' },
];

export const GLOBUS_HELP: OptionHelp[] = [
  {
    flag: '--transport MODE',
    text: `${TRANSPORT_HELP.map((t) => `${t.name}: ${t.help}`).join('; ')} (SREGISTRY_GLOBUS_TRANSPORT; default auto)`,
  },
  {
    flag: '--local-endpoint ID',
    text: 'local Globus endpoint for the transfer transport (SREGISTRY_GLOBUS_LOCAL_ENDPOINT)',
  },
  {
    flag: '--root PATH',
    text: 'registry root on the remote endpoint (SREGISTRY_GLOBUS_ROOT; default: found by sniffing)',
  },
  { flag: '--storage DIR', text: 'local image storage (SREGISTRY_STORAGE; default ~/.singularity/shub)' },
  {
    flag: '--database DIR',
    text: 'folder of the records database sregistry.db, as sregistry-cli (SREGISTRY_DATABASE; default ~/.singularity)',
  },
  {
    flag: '--database-file FILE',
    text: 'the records database file itself (SREGISTRY_GLOBUS_DATABASE_FILE); wins over --database',
  },
  {
    flag: '--client-secret-file FILE',
    text: 'read the client secret from FILE (GLOBUS_CLIENT_SECRET_FILE) instead of GLOBUS_CLIENT_SECRET',
  },
  { flag: '--timeout SECONDS', text: 'longest wait for the operation, transfer tasks included (seconds; or 15m, 1h)' },
  {
    flag: '--verify POLICY',
    text: 'SIF signatures on pull and inspect: off | if-signed | required (SREGISTRY_GLOBUS_VERIFY; default if-signed)',
  },
  {
    flag: '--keyring FILE',
    text: 'armored OpenPGP public keys of trusted signers (repeatable; SREGISTRY_GLOBUS_KEYRING)',
  },
];

export type OutputFormat = 'text' | 'json' | 'unix';
export const FORMATS: readonly OutputFormat[] = ['text', 'json', 'unix'];

/** `-F/--format`, with `--json` as a synonym of `-F json`; a conflict between the two is a usage error. */
export function outputFormat(values: OptionValues): OutputFormat {
  const given = str(values.format);
  if (given === undefined) return values.json === true ? 'json' : 'text';
  const format = given.trim().toLowerCase() as OutputFormat;
  if (!FORMATS.includes(format))
    throw new UsageError(`-F/--format must be one of ${FORMATS.join(', ')}, not ${JSON.stringify(given)}`);
  if (values.json === true && format !== 'json')
    throw new UsageError(`--json and -F ${format} ask for two formats: give one`);
  return format;
}

/** A format read leniently (before the strict parse), so a usage error is reported in the format asked for. */
export function looseFormat(values: OptionValues): OutputFormat {
  try {
    return outputFormat(values);
  } catch {
    return 'text';
  }
}

/**
 * Moves flags written before the command (`sregistry-globus --debug pull ...`) behind it,
 * where the command's parser reads them. Returns argv unchanged when no command follows.
 */
export function commandFirst(argv: string[], commands: readonly string[]): string[] {
  const known = { ...OUTPUT_OPTIONS, ...GLOBUS_OPTIONS } as ParseArgsOptionsConfig;
  const takesValue = (token: string): boolean => {
    if (token.includes('=')) return false;
    const option = token.startsWith('--')
      ? known[token.slice(2)]
      : Object.values(known).find((o) => o.short !== undefined && token === `-${o.short}`);
    return option?.type === 'string';
  };
  const leading: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === '--') return argv;
    if (!token.startsWith('-')) {
      if (leading.length === 0 || !commands.includes(token)) return argv;
      return [token, ...argv.slice(i + 1), ...leading];
    }
    leading.push(token);
    if (takesValue(token) && i + 1 < argv.length) leading.push(argv[++i] as string);
  }
  return argv;
}

export interface ParsedCommandLine {
  values: OptionValues;
  positionals: string[];
}

/** Parses a subcommand's arguments (everything after the command name). */
export function parseCommandLine(spec: CommandSpec, argv: string[]): ParsedCommandLine {
  const options: ParseArgsOptionsConfig = spec.standalone
    ? spec.options
    : { ...OUTPUT_OPTIONS, ...(spec.registry ? GLOBUS_OPTIONS : {}), ...spec.options };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError(parseArgsMessage(err as Error, options), spec.name);
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
  try {
    return Math.round(parseDuration(value, '--timeout').seconds * 1000);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

const str = (v: OptionValues[string]): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * RegistryOptions from the environment and the flags. `credentials` demands
 * GLOBUS_CLIENT_ID and GLOBUS_CLIENT_SECRET (commands that only read local records do not).
 */
export function registryOptions(values: OptionValues, env: NodeJS.ProcessEnv, credentials: boolean): RegistryOptions {
  const transport = str(values.transport);
  const timeout = str(values.timeout);
  const secretFile = str(values['client-secret-file']);
  const verify = str(values.verify);
  const keyrings = Array.isArray(values.keyring) ? values.keyring.map(String) : [];
  const flags: OptionOverrides = {
    ...(secretFile !== undefined
      ? { globus: { clientSecret: usable(() => readSecretFile(secretFile, '--client-secret-file')) } }
      : {}),
    ...(transport !== undefined ? { transport: transportFlag(transport) } : {}),
    localEndpoint: str(values['local-endpoint']),
    root: str(values.root),
    storage: str(values.storage),
    ...databaseFlags(values),
    ...(timeout !== undefined ? { timeoutMs: timeoutFlag(timeout) } : {}),
    ...(verify !== undefined ? { verify: usable(() => parseVerifyPolicy(verify, '--verify')) } : {}),
    ...(keyrings.length > 0
      ? { keyring: keyrings.map((file) => usable(() => readKeyringFile(file, '--keyring'))) }
      : {}),
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

/** A setting the core refused is a usage problem of this run. */
function usable<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof SregistryError) throw new UsageError(err.message);
    throw err;
  }
}

/** `--database DIR` is sregistry-cli's folder of sregistry.db; `--database-file FILE` names the file. */
function databaseFlags(values: OptionValues): { database?: string } {
  const file = str(values['database-file']);
  const folder = str(values.database);
  if (file !== undefined && folder !== undefined)
    throw new UsageError('--database (a folder) and --database-file (a file) both name the records database: give one');
  if (file !== undefined) return { database: file };
  if (folder !== undefined) return { database: usable(() => databaseInFolder(folder, '--database')) };
  return {};
}

function requireCredentials(globus: Partial<RegistryOptions['globus']>): void {
  const absent = [
    ['GLOBUS_CLIENT_ID', globus.clientId],
    ['GLOBUS_CLIENT_SECRET', globus.clientSecret],
  ].filter(([, v]) => !v);
  if (absent.length > 0) {
    throw new UsageError(
      `set GLOBUS_CLIENT_ID and GLOBUS_CLIENT_SECRET to a Globus confidential client's id and secret (or GLOBUS_CLIENT_SECRET_FILE / --client-secret-file to a file holding it; globus-cli's GLOBUS_CLI_CLIENT_ID and GLOBUS_CLI_CLIENT_SECRET are read when ours are unset) (missing: ${absent.map(([n]) => n).join(', ')})`,
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
