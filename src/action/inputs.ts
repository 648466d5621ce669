/**
 * The Action's inputs, read the way the runner hands them over (INPUT_<NAME> variables)
 * and checked up front, so a mistake fails before any Globus call with the input's name
 * and the accepted values; then what they set up: the registry options and the images
 * each file is pushed as. action.yml states the same defaults and requirements.
 */
import { basename, join } from 'node:path';
import { tmpdir } from 'node:os';
import {
  DEFAULT_COLLECTION,
  SregistryError,
  TRANSPORTS,
  VERIFY_POLICIES,
  formatGlobusUri,
  isGlobusUri,
  isValidName,
  parseDuration,
  parseReference,
  parseTags,
  parseTransport,
  readKeyringSetting,
  registryOptionsWith,
  type VerifyPolicy,
} from '../rules.js';
import type { ProgressEvent, Registry, RegistryEvent, RegistryOptions, SigningKey, TransportChoice } from '../index.js';
import type { Log, SummaryRow } from './report.js';

export type Command = 'push' | 'pull';
export type IfNoFilesFound = 'error' | 'warn' | 'ignore';

/** The longest one image may take when the timeout input is not set, in minutes. */
/** One hour, as the input's default (`3600s`) says. */
export const DEFAULT_TIMEOUT_SECONDS = 3600;

export interface ActionInputs {
  command: Command;
  clientId: string;
  clientSecret: string;
  endpoint: string;
  root?: string;
  /** push: path or glob lines, `!` lines exclude. */
  images: string[];
  /** `collection/name`, `collection/` or empty. */
  name: string;
  tags: string[];
  transport: TransportChoice;
  sourceEndpoint?: string;
  timeoutSeconds: number;
  /** Set when the timeout was written in the old form (a bare number of minutes): what to write instead. */
  timeoutNote?: string;
  pullTo: string;
  cache: boolean;
  ifNoFilesFound: IfNoFilesFound;
  /** push: also files without the SIF magic (legacy images). */
  anyFile: boolean;
  authUrl?: string;
  transferUrl?: string;
  /** push: prune each pushed name afterwards, keeping this many of its newest versions (and every tagged one). */
  keep?: number;
  /** push: registries (`globus://<endpoint>` or endpoint ids/names) each pushed name is replicated to. */
  replicateTo: string[];
  /** The name and tags inputs as written: the core says which it folded to lower case (a warning). */
  given?: string[];
  /** pull: the signature policy (empty: SREGISTRY_GLOBUS_VERIFY, else if-signed). */
  verify?: VerifyPolicy;
  /** Armored public keys of trusted signers (the input's text, or the files it names). */
  keyring: string[];
  /** push: sign what is uploaded with this key. */
  signingKey?: SigningKey;
}

/** What one run works with: its inputs and what they set up. */
export interface RunContext {
  inputs: ActionInputs;
  registry: Registry;
  log: Log;
  env: NodeJS.ProcessEnv;
  /** Filled as images finish, so a failure still reports what was done. */
  rows: SummaryRow[];
  signal: AbortSignal;
}

/** The runner's variable name for an input: upper-cased, spaces to `_`, hyphens kept. */
export const inputVariable = (name: string): string => `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;

export type InputSource = (name: string) => string;

/** Reads inputs from an environment as the runner sets them; missing means empty. */
export const envInputs =
  (env: NodeJS.ProcessEnv): InputSource =>
  (name) =>
    (env[inputVariable(name)] ?? '').trim();

const invalid = (message: string): SregistryError => new SregistryError('INVALID_INPUT', message);

function required(read: InputSource, name: string, hint: string): string {
  const value = read(name);
  if (value === '') throw invalid(`Input ${name} is required: ${hint}`);
  return value;
}

const optional = (read: InputSource, name: string): string | undefined => {
  const value = read(name);
  return value === '' ? undefined : value;
};

function choice<T extends string>(read: InputSource, name: string, allowed: readonly T[], fallback: T): T {
  const value = read(name).toLowerCase();
  if (value === '') return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw invalid(`Input ${name} is "${read(name)}"; use one of ${allowed.join(', ')}`);
  }
  return value as T;
}

/** YAML 1.2 core booleans, as the toolkit accepts them. */
function boolean(read: InputSource, name: string, fallback: boolean): boolean {
  const value = read(name);
  if (value === '') return fallback;
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['false', 'False', 'FALSE'].includes(value)) return false;
  throw invalid(`Input ${name} is "${value}"; use true or false`);
}

/** Lines, ignoring blank ones and surrounding spaces. */
export const lines = (text: string): string[] =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');

/** The tags input in the core's one tag grammar; empty means latest. */
export function tagsInput(text: string): string[] {
  let tags: string[];
  try {
    tags = parseTags(text);
  } catch (err) {
    throw invalid(`Input tags: ${(err as Error).message}`);
  }
  return tags.length > 0 ? tags : ['latest'];
}

function transportInput(read: InputSource): TransportChoice {
  const value = read('transport');
  if (value === '') return 'auto';
  try {
    return parseTransport(value, 'Input transport');
  } catch {
    throw invalid(`Input transport is "${value}"; use one of ${TRANSPORTS.join(', ')}`);
  }
}

/**
 * The timeout in seconds, the one unit of timeouts (the CLI's too): `3600s`, `60m`, `1h`.
 * A bare number is the old form, minutes: still read so, with a note saying what to write.
 */
function timeout(read: InputSource): { seconds: number; note?: string } {
  const value = read('timeout');
  if (value === '') return { seconds: DEFAULT_TIMEOUT_SECONDS };
  let parsed;
  try {
    parsed = parseDuration(value, 'Input timeout', 'm');
  } catch (err) {
    throw invalid((err as Error).message);
  }
  if (parsed.unitGiven) return { seconds: parsed.seconds };
  const seconds = parsed.seconds;
  return {
    seconds,
    note: `Input timeout is "${value}", read as ${value} minutes as before; timeouts are now in seconds everywhere (as the CLI's --timeout): write timeout: ${seconds}s (or ${value}m). A bare number will mean seconds from version 1.0`,
  };
}

function keepInput(read: InputSource): number | undefined {
  const value = read('keep');
  if (value === '') return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw invalid(
      `Input keep is "${value}"; use a whole number of versions, 0 or more, or leave it empty to prune nothing`,
    );
  return n;
}

/** One destination per line, as `globus://<endpoint>`: a bare UUID or display name (spaces and all) is accepted too. */
function replicateToInput(read: InputSource): string[] {
  return lines(read('replicate-to')).map((d) => (isGlobusUri(d) ? d : formatGlobusUri({ endpoint: d })));
}

/** The keyring input: armored public keys as text, or key files (relative to the workspace), one per line. */
function keyringInput(read: InputSource): string[] {
  try {
    return readKeyringSetting(read('keyring'), 'Input keyring');
  } catch (err) {
    throw invalid((err as Error).message);
  }
}

/** signing-key holds the armored private key itself (from a secret); its passphrase comes from signing-key-passphrase. */
function signingKeyInput(read: InputSource): SigningKey | undefined {
  const armoredKey = read('signing-key');
  const passphrase = read('signing-key-passphrase');
  if (armoredKey === '') {
    if (passphrase !== '')
      throw invalid(
        'Input signing-key-passphrase is set but signing-key is empty: pass the armored private key from a secret, e.g. signing-key: ${{ secrets.SIF_SIGNING_KEY }}',
      );
    return undefined;
  }
  if (!armoredKey.includes('-----BEGIN PGP PRIVATE KEY BLOCK-----')) {
    throw invalid(
      'Input signing-key is not an armored OpenPGP private key: export it with "gpg --armor --export-secret-keys <key id>" into a repository secret',
    );
  }
  return { armoredKey, where: 'from input signing-key', ...(passphrase !== '' ? { passphrase } : {}) };
}

export function readInputs(read: InputSource): ActionInputs {
  const clientId = required(
    read,
    'client-id',
    'set it to your Globus confidential client id, e.g. client-id: ${{ secrets.GLOBUS_CLIENT_ID }}',
  );
  const clientSecret = required(
    read,
    'client-secret',
    'set it from a repository secret, e.g. client-secret: ${{ secrets.GLOBUS_CLIENT_SECRET }}',
  );
  const command = choice(read, 'command', ['push', 'pull'] as const, 'push');
  const endpoint = required(read, 'endpoint', 'set it to the UUID of the Globus collection that holds the registry');
  const inputs: ActionInputs = {
    command,
    clientId,
    clientSecret,
    endpoint,
    images: lines(read('images')),
    name: read('name').toLowerCase(),
    tags: tagsInput(read('tags')),
    transport: transportInput(read),
    timeoutSeconds: 0,
    pullTo: read('pull-to') || 'images',
    cache: boolean(read, 'cache', false),
    ifNoFilesFound: choice(read, 'if-no-files-found', ['error', 'warn', 'ignore'] as const, 'error'),
    anyFile: boolean(read, 'any-file', false),
    replicateTo: replicateToInput(read),
    keyring: keyringInput(read),
  };
  const limit = timeout(read);
  inputs.timeoutSeconds = limit.seconds;
  if (limit.note !== undefined) inputs.timeoutNote = limit.note;
  inputs.given = [read('name'), ...read('tags').split(/[\s,]+/)];
  const verify = read('verify');
  if (verify !== '') inputs.verify = choice(read, 'verify', VERIFY_POLICIES, 'if-signed');
  const signingKey = signingKeyInput(read);
  if (signingKey) {
    if (command !== 'push') throw invalid('Input signing-key signs what a push uploads; remove it from this pull step');
    inputs.signingKey = signingKey;
  }
  const keep = keepInput(read);
  if (keep !== undefined) inputs.keep = keep;
  const root = optional(read, 'root');
  if (root !== undefined) inputs.root = root;
  const sourceEndpoint = optional(read, 'source-endpoint');
  if (sourceEndpoint !== undefined) inputs.sourceEndpoint = sourceEndpoint;
  const authUrl = optional(read, 'auth-url');
  if (authUrl !== undefined) inputs.authUrl = authUrl;
  const transferUrl = optional(read, 'transfer-url');
  if (transferUrl !== undefined) inputs.transferUrl = transferUrl;

  if (command === 'push' && inputs.images.length === 0) {
    throw invalid(
      'Input images is empty: list the SIF files to push, one path or glob per line (e.g. images: build/*.sif)',
    );
  }
  if (command === 'pull' && inputs.name === '') {
    throw invalid('Input name is required for pull: set it to collection/name of the image to pull');
  }
  return inputs;
}

export interface Hooks {
  onProgress: (e: ProgressEvent) => void;
  onEvent: (e: RegistryEvent) => void;
  /** Masks each access token before anything could log it. */
  onToken: (accessToken: string) => void;
}

/** The folder this Action keeps its own local files in. */
export const workFolder = (env: NodeJS.ProcessEnv): string => join(env.RUNNER_TEMP || tmpdir(), 'sregistry-globus');

/**
 * Registry options for one run: the inputs win, then the DESIGN.md environment
 * variables, then runner-friendly defaults (local storage and records under RUNNER_TEMP,
 * so a run never writes into the runner's home folder).
 */
export function registryOptions(inputs: ActionInputs, env: NodeJS.ProcessEnv, hooks: Hooks): RegistryOptions {
  const work = workFolder(env);
  return registryOptionsWith(
    env,
    {
      globus: {
        clientId: inputs.clientId,
        clientSecret: inputs.clientSecret,
        authUrl: inputs.authUrl,
        transferUrl: inputs.transferUrl,
      },
      transport: inputs.transport,
      root: inputs.root,
      localEndpoint: inputs.sourceEndpoint,
      timeoutMs: Math.round(inputs.timeoutSeconds * 1000),
      ...(inputs.verify ? { verify: inputs.verify } : {}),
      ...(inputs.keyring.length > 0 ? { keyring: inputs.keyring } : {}),
      ...hooks,
    },
    { storage: join(work, 'storage'), database: join(work, 'sregistry.db') },
  );
}

export interface ImageName {
  collection: string;
  name: string;
}

export interface PushTarget extends ImageName {
  file: string;
}

const SUFFIX = /\.(sif|simg|img)$/;

const invalidName = (message: string): SregistryError => new SregistryError('INVALID_REFERENCE', message);

/** `collection/name` without tag or version; the tags come from the tags input. */
export function parseImageName(text: string): ImageName {
  if (/[:@]/.test(text)) {
    throw invalidName(
      `Input name "${text}" has a tag or version; give collection/name only and put tags in the tags input`,
    );
  }
  let ref;
  try {
    ref = parseReference(text);
  } catch (err) {
    throw invalidName(`Input name is not collection/name: ${(err as Error).message}`);
  }
  return { collection: ref.collection, name: ref.name };
}

function nameFromFile(file: string): string {
  const stem = basename(file).toLowerCase().replace(SUFFIX, '');
  if (!isValidName(stem)) {
    throw invalidName(
      `The file name "${basename(file)}" does not make an image name ([a-z0-9][a-z0-9._-]*, at most 128 characters): rename the file or set the name input to collection/name`,
    );
  }
  return stem;
}

/**
 * Empty name: `library/<file name>`; `collection/`: `<collection>/<file name>`;
 * `collection/name`: that name, for one file only.
 */
export function pushTargets(files: string[], nameInput: string): PushTarget[] {
  if (nameInput === '')
    return files.map((file) => ({ file, collection: DEFAULT_COLLECTION, name: nameFromFile(file) }));
  if (nameInput.endsWith('/')) {
    const collection = nameInput.slice(0, -1);
    if (!isValidName(collection)) {
      throw invalidName(
        `Input name "${nameInput}" does not start with a collection ([a-z0-9][a-z0-9._-]*, at most 128 characters)`,
      );
    }
    return files.map((file) => ({ file, collection, name: nameFromFile(file) }));
  }
  const image = parseImageName(nameInput);
  if (files.length > 1) {
    throw invalidName(
      `Input name "${nameInput}" names one image but images matched ${files.length} files; end name with "/" (e.g. ${image.collection}/) to name each image after its file`,
    );
  }
  return files.map((file) => ({ file, ...image }));
}
