/**
 * The Action's inputs, read the way the runner hands them over (INPUT_<NAME> variables)
 * and checked up front, so a mistake fails before any Globus call with the input's name
 * and the accepted values.
 */
import { SregistryError } from '../core/errors.js';
import type { TransportChoice } from '../core/registry/types.js';
import { isValidTag } from '../core/uri.js';

export type Command = 'push' | 'pull';
export type IfNoFilesFound = 'error' | 'warn' | 'ignore';

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
  wait: boolean;
  timeoutMinutes?: number;
  pullTo: string;
  cache: boolean;
  ifNoFilesFound: IfNoFilesFound;
  authUrl?: string;
  transferUrl?: string;
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

/** Tags may come one per line, or space/comma separated; lower-cased, deduplicated, in order. */
export function parseTags(text: string): string[] {
  const tags: string[] = [];
  for (const raw of text.split(/[\s,]+/)) {
    const tag = raw.trim().toLowerCase();
    if (tag === '') continue;
    if (!isValidTag(tag)) {
      throw invalid(`Input tags has "${raw}", which is not a tag: use letters, digits, "_", "-" and "." (not first), at most 128 characters`);
    }
    if (!tags.includes(tag)) tags.push(tag);
  }
  return tags.length > 0 ? tags : ['latest'];
}

function timeout(read: InputSource): number | undefined {
  const value = read('timeout-minutes');
  if (value === '') return undefined;
  const minutes = Number(value);
  if (!Number.isFinite(minutes) || minutes <= 0) {
    throw invalid(`Input timeout-minutes is "${value}"; use a positive number of minutes`);
  }
  return minutes;
}

export function readInputs(read: InputSource): ActionInputs {
  const clientId = required(read, 'client-id', 'set it to your Globus confidential client id, e.g. client-id: ${{ secrets.GLOBUS_CLIENT_ID }}');
  const clientSecret = required(read, 'client-secret', 'set it from a repository secret, e.g. client-secret: ${{ secrets.GLOBUS_CLIENT_SECRET }}');
  const command = choice(read, 'command', ['push', 'pull'] as const, 'push');
  const endpoint = required(read, 'endpoint', 'set it to the UUID of the Globus collection that holds the registry');
  const inputs: ActionInputs = {
    command,
    clientId,
    clientSecret,
    endpoint,
    images: lines(read('images')),
    name: read('name').toLowerCase(),
    tags: parseTags(read('tags')),
    transport: choice<TransportChoice>(read, 'transport', ['auto', 'https', 'transfer'], 'auto'),
    wait: boolean(read, 'wait', true),
    pullTo: read('pull-to') || 'images',
    cache: boolean(read, 'cache', true),
    ifNoFilesFound: choice(read, 'if-no-files-found', ['error', 'warn', 'ignore'] as const, 'error'),
  };
  const root = optional(read, 'root');
  if (root !== undefined) inputs.root = root;
  const sourceEndpoint = optional(read, 'source-endpoint');
  if (sourceEndpoint !== undefined) inputs.sourceEndpoint = sourceEndpoint;
  const minutes = timeout(read);
  if (minutes !== undefined) inputs.timeoutMinutes = minutes;
  const authUrl = optional(read, 'auth-url');
  if (authUrl !== undefined) inputs.authUrl = authUrl;
  const transferUrl = optional(read, 'transfer-url');
  if (transferUrl !== undefined) inputs.transferUrl = transferUrl;

  if (command === 'push' && inputs.images.length === 0) {
    throw invalid('Input images is empty: list the SIF files to push, one path or glob per line (e.g. images: build/*.sif)');
  }
  if (command === 'pull' && inputs.name === '') {
    throw invalid('Input name is required for pull: set it to collection/name of the image to pull');
  }
  return inputs;
}
