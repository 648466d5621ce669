/**
 * Registry options: reading them from the environment (DESIGN.md names) and filling in
 * the defaults every operation relies on.
 */
import { readFileSync, statSync } from 'node:fs';
import { DEFAULT_ERROR_GRACE_MS } from '../transfer/wait.js';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { DEFAULT_VERIFY_POLICY, parseVerifyPolicy } from '../signing/policy.js';
import { SregistryError } from '../errors.js';
import type { RegistryOptions, ResolvedOptions } from './types.js';
import type { SpeedFloor } from '../http/streamed-exchange.js';
import { parseTransport } from './transports/transport.js';

export type { ResolvedOptions };

export const DEFAULT_STORAGE = join('.singularity', 'shub');
/** The records file sregistry-cli keeps in its database folder (`sregistry/defaults.py`). */
export const DATABASE_FILE_NAME = 'sregistry.db';
export const DEFAULT_DATABASE = join('.singularity', DATABASE_FILE_NAME);
export const DEFAULT_POLL_MS = 1000;
export const DEFAULT_MAX_POLL_MS = 10_000;
export const DEFAULT_CONCURRENCY = 8;

export type EnvOptions = Omit<Partial<RegistryOptions>, 'globus'> & { globus: Partial<RegistryOptions['globus']> };

const value = (env: NodeJS.ProcessEnv, key: string): string | undefined => {
  const v = env[key];
  return v !== undefined && v.trim() !== '' ? v.trim() : undefined;
};

/**
 * The stall floor as curl's --speed-limit/--speed-time give it: `BYTES/SECONDS` (a body
 * slower than BYTES per second over SECONDS is cut), or `off`.
 */
export function parseSpeedLimit(text: string, setting: string): SpeedFloor | false {
  const t = text.trim().toLowerCase();
  if (t === 'off') return false;
  const m = /^(\d+)\s*\/\s*(\d+)$/.exec(t);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) {
    throw new SregistryError(
      'INVALID_INPUT',
      `${setting} "${text}" is not BYTES/SECONDS (e.g. 1024/20: cut a body slower than 1024 bytes per second over 20 s) or off`,
    );
  }
  return { bytesPerSecond: Number(m[1]), windowMs: Number(m[2]) * 1000 };
}

/** `localdir=endpointdir[,localdir=endpointdir...]` → prefix pairs; both sides must be absolute. */
export function parseLocalPathMap(text: string): Array<{ local: string; endpoint: string }> {
  const out: Array<{ local: string; endpoint: string }> = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    const local = eq < 0 ? '' : item.slice(0, eq).trim();
    const endpoint = eq < 0 ? '' : item.slice(eq + 1).trim();
    if (!local.startsWith('/') || !endpoint.startsWith('/')) {
      throw new SregistryError(
        'INVALID_INPUT',
        `SREGISTRY_GLOBUS_LOCAL_PATH_MAP entry "${item}" is not localdir=endpointdir with two absolute paths, e.g. /data=/~/data`,
      );
    }
    out.push({ local, endpoint });
  }
  return out;
}

/**
 * The records file of a database folder, as sregistry-cli reads SREGISTRY_DATABASE: the
 * folder holding `sregistry.db`. A path that is an existing file is refused rather than
 * opened as a folder, with the two settings that would name it.
 */
export function databaseInFolder(folder: string, setting = 'SREGISTRY_DATABASE'): string {
  let isFile = false;
  try {
    isFile = statSync(folder).isFile();
  } catch {
    // missing: the folder is created on first write, as sregistry-cli does
  }
  if (isFile) {
    throw new SregistryError(
      'INVALID_INPUT',
      `${setting} is the folder that holds ${DATABASE_FILE_NAME} (as sregistry-cli reads it), but ${folder} is a file: set ${setting} to its folder, or name the file with SREGISTRY_GLOBUS_DATABASE_FILE / --database-file`,
    );
  }
  return join(folder, DATABASE_FILE_NAME);
}

/** A setting's file, read whole; unreadable: one line naming the setting, the file and what it should hold (never its content). */
function readSettingFile(file: string, setting: string, holding: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new SregistryError('INVALID_INPUT', `${setting} ${file} cannot be read (${code}): point it at ${holding}`);
  }
}

/**
 * A client secret kept in a file (GLOBUS_CLIENT_SECRET_FILE, --client-secret-file), so it
 * needs not sit in the environment or on a command line: the file's text without its
 * surrounding white space. The message names the file, never its content.
 */
export function readSecretFile(file: string, setting = 'GLOBUS_CLIENT_SECRET_FILE'): string {
  const secret = readSettingFile(file, setting, 'a readable file holding the client secret').trim();
  if (secret === '')
    throw new SregistryError('INVALID_INPUT', `${setting} ${file} is empty: write the client secret into it`);
  return secret;
}

const ARMORED = /-----BEGIN PGP (PUBLIC|PRIVATE) KEY BLOCK-----/;

/**
 * A keyring setting: armored OpenPGP public keys given as text, or files holding them
 * (SREGISTRY_GLOBUS_KEYRING: paths separated by the system's path delimiter; the Action's
 * `keyring`: one per line). A private key is refused here, before anything is loaded, and
 * messages name the file, never a key.
 */
export function readKeyringSetting(value: string, setting = 'SREGISTRY_GLOBUS_KEYRING'): string[] {
  const text = value.trim();
  if (text === '') return [];
  if (ARMORED.test(text)) return [checkPublic(text, setting)];
  return text
    .split(/\r?\n/)
    .flatMap((line) => line.split(delimiter))
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((file) => readKeyringFile(file, setting));
}

/** One keyring file's armored public keys. */
export function readKeyringFile(file: string, setting = '--keyring'): string {
  const text = readSettingFile(file, setting, 'a file of armored OpenPGP public keys');
  if (!ARMORED.test(text))
    throw new SregistryError(
      'INVALID_INPUT',
      `${setting} ${file} holds no armored OpenPGP public key; export one with "gpg --armor --export <key id>"`,
    );
  return checkPublic(text, `${setting} ${file}`);
}

function checkPublic(text: string, where: string): string {
  if (text.includes('-----BEGIN PGP PRIVATE KEY BLOCK-----')) {
    throw new SregistryError(
      'INVALID_INPUT',
      `${where} holds a private key: a keyring takes public keys only ("gpg --armor --export", not --export-secret-keys)`,
    );
  }
  return text;
}

/** The passphrase of a signing key kept in a file: its text without the line end. */
export function readPassphraseFile(file: string, setting = '--sign-passphrase-file'): string {
  return readSettingFile(file, setting, 'a file holding the passphrase').replace(/\r?\n$/, '');
}

/**
 * Registry options from environment variables; only the variables that are set appear.
 * The client id and secret: ours (GLOBUS_CLIENT_ID, GLOBUS_CLIENT_SECRET or the file
 * GLOBUS_CLIENT_SECRET_FILE names), else globus-cli's GLOBUS_CLI_CLIENT_ID and
 * GLOBUS_CLI_CLIENT_SECRET. The database: SREGISTRY_GLOBUS_DATABASE_FILE (a file), else
 * SREGISTRY_DATABASE (sregistry-cli's folder of sregistry.db).
 */
export function registryOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): EnvOptions {
  const globus: Partial<RegistryOptions['globus']> = {};
  const set = <K extends keyof RegistryOptions['globus']>(key: K, variable: string): void => {
    const v = value(env, variable);
    if (v !== undefined) globus[key] = v as RegistryOptions['globus'][K];
  };
  const clientId = value(env, 'GLOBUS_CLIENT_ID') ?? value(env, 'GLOBUS_CLI_CLIENT_ID');
  if (clientId !== undefined) globus.clientId = clientId;
  const secretFile = value(env, 'GLOBUS_CLIENT_SECRET_FILE');
  const secret =
    value(env, 'GLOBUS_CLIENT_SECRET') ??
    (secretFile !== undefined ? readSecretFile(secretFile) : undefined) ??
    value(env, 'GLOBUS_CLI_CLIENT_SECRET');
  if (secret !== undefined) globus.clientSecret = secret;
  set('environment', 'GLOBUS_SDK_ENVIRONMENT');
  set('authUrl', 'GLOBUS_SDK_SERVICE_URL_AUTH');
  set('transferUrl', 'GLOBUS_SDK_SERVICE_URL_TRANSFER');

  const out: EnvOptions = { globus };
  const root = value(env, 'SREGISTRY_GLOBUS_ROOT');
  if (root !== undefined) out.root = root;
  const transport = value(env, 'SREGISTRY_GLOBUS_TRANSPORT');
  if (transport !== undefined) out.transport = parseTransport(transport, 'SREGISTRY_GLOBUS_TRANSPORT');
  const local = value(env, 'SREGISTRY_GLOBUS_LOCAL_ENDPOINT');
  if (local !== undefined) out.localEndpoint = local;
  const map = value(env, 'SREGISTRY_GLOBUS_LOCAL_PATH_MAP');
  if (map !== undefined) out.localPathMap = parseLocalPathMap(map);
  const storage = value(env, 'SREGISTRY_STORAGE');
  if (storage !== undefined) out.storage = storage;
  const databaseFile = value(env, 'SREGISTRY_GLOBUS_DATABASE_FILE');
  const databaseFolder = value(env, 'SREGISTRY_DATABASE');
  if (databaseFile !== undefined) out.database = databaseFile;
  else if (databaseFolder !== undefined) out.database = databaseInFolder(databaseFolder);
  const verify = value(env, 'SREGISTRY_GLOBUS_VERIFY');
  if (verify !== undefined) out.verify = parseVerifyPolicy(verify, 'SREGISTRY_GLOBUS_VERIFY');
  const keyring = value(env, 'SREGISTRY_GLOBUS_KEYRING');
  if (keyring !== undefined) out.keyring = readKeyringSetting(keyring, 'SREGISTRY_GLOBUS_KEYRING');
  const speed = value(env, 'SREGISTRY_GLOBUS_SPEED_LIMIT');
  if (speed !== undefined) out.speedFloor = parseSpeedLimit(speed, 'SREGISTRY_GLOBUS_SPEED_LIMIT');
  const grace = value(env, 'SREGISTRY_GLOBUS_TASK_ERROR_GRACE');
  if (grace !== undefined) {
    if (!/^\d+$/.test(grace))
      throw new SregistryError(
        'INVALID_INPUT',
        `SREGISTRY_GLOBUS_TASK_ERROR_GRACE "${grace}" is not a whole number of seconds`,
      );
    out.taskErrorGraceMs = Number(grace) * 1000;
  }
  return out;
}

/** Each field may be left out or set to undefined: both leave the layer below in place. */
type Unset<T> = { [K in keyof T]?: T[K] | undefined };

/** What a front end sets on top of the environment: its flags, inputs or node settings. */
export type OptionOverrides =
  EnvOptions | (Unset<Omit<RegistryOptions, 'globus'>> & { globus?: Unset<RegistryOptions['globus']> });

/** Drops unset and blank values (and empty lists), so an empty flag or node field leaves the layer below in place. */
function setValues<T extends object>(layer: T | undefined): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, v] of Object.entries(layer ?? {}) as Array<[keyof T, T[keyof T]]>) {
    if (
      key === 'globus' ||
      v === undefined ||
      (typeof v === 'string' && v.trim() === '') ||
      (Array.isArray(v) && v.length === 0)
    )
      continue;
    out[key] = v;
  }
  return out;
}

/**
 * The one merge of registry options every front end uses: `defaults`, then the
 * environment (DESIGN.md names), then `overrides`; unset and blank values do not count.
 * The client id and secret are '' when nothing sets them (the core then says which is missing).
 */
export function registryOptionsWith(
  env: NodeJS.ProcessEnv,
  overrides: OptionOverrides = {},
  defaults: OptionOverrides = {},
): RegistryOptions {
  // A database named by a flag or setting wins, so SREGISTRY_DATABASE is then not even read
  // (a file there, its meaning in older versions, must not stop a command that overrides it).
  const ownDatabase = typeof overrides.database === 'string' && overrides.database.trim() !== '';
  const fromEnv = registryOptionsFromEnv(ownDatabase ? { ...env, SREGISTRY_DATABASE: undefined } : env);
  const globus = { ...setValues(defaults.globus), ...setValues(fromEnv.globus), ...setValues(overrides.globus) };
  return {
    ...setValues(defaults),
    ...setValues(fromEnv),
    ...setValues(overrides),
    globus: { ...globus, clientId: globus.clientId ?? '', clientSecret: globus.clientSecret ?? '' },
  } as RegistryOptions;
}

const positive = (n: number | undefined, fallback: number, name: string): number => {
  if (n === undefined) return fallback;
  if (!Number.isFinite(n) || n <= 0)
    throw new SregistryError('INVALID_INPUT', `The option ${name} must be a positive number (got ${String(n)})`);
  return n;
};

const nonNegative = (n: number | undefined, fallback: number, name: string): number => {
  if (n === undefined) return fallback;
  if (!Number.isFinite(n) || n < 0)
    throw new SregistryError(
      'INVALID_INPUT',
      `The option ${name} must be a number of milliseconds, 0 or more (got ${String(n)})`,
    );
  return n;
};

export function resolveOptions(options: RegistryOptions): ResolvedOptions {
  if (!options || typeof options !== 'object' || !options.globus) {
    throw new SregistryError(
      'INVALID_INPUT',
      'Registry options need globus.clientId and globus.clientSecret; set GLOBUS_CLIENT_ID and GLOBUS_CLIENT_SECRET',
    );
  }
  const home = homedir();
  const pollMs = positive(options.pollMs, DEFAULT_POLL_MS, 'pollMs');
  const resolved: ResolvedOptions = {
    ...options,
    transport: options.transport === undefined ? 'auto' : parseTransport(options.transport),
    verify: options.verify === undefined ? DEFAULT_VERIFY_POLICY : parseVerifyPolicy(options.verify),
    keyring: options.keyring ?? [],
    storage: resolve(options.storage ?? join(home, DEFAULT_STORAGE)),
    database: options.database === ':memory:' ? ':memory:' : resolve(options.database ?? join(home, DEFAULT_DATABASE)),
    pollMs,
    maxPollMs: Math.max(pollMs, positive(options.maxPollMs, DEFAULT_MAX_POLL_MS, 'maxPollMs')),
    taskErrorGraceMs: nonNegative(options.taskErrorGraceMs, DEFAULT_ERROR_GRACE_MS, 'taskErrorGraceMs'),
    concurrency: Math.floor(positive(options.concurrency, DEFAULT_CONCURRENCY, 'concurrency')) || 1,
    localPathMap: options.localPathMap ?? [],
  };
  if (options.timeoutMs !== undefined) positive(options.timeoutMs, 0, 'timeoutMs');
  if (options.speedFloor) {
    positive(options.speedFloor.bytesPerSecond, 0, 'speedFloor.bytesPerSecond');
    positive(options.speedFloor.windowMs, 0, 'speedFloor.windowMs');
  }
  return resolved;
}
