/**
 * The oldest Node.js this package runs on. Each entry (bin/, the Action bundle) checks it
 * before importing anything else, because the core links `node:sqlite` statically and an
 * older Node fails that link with a stack trace instead of a message. 22.19 rather than
 * node:sqlite's 22.13: undici 8 declares engines `>=22.19.0`. package.json `engines`,
 * nodes/shared/node-version.js and scripts/node-env.sh hold the same number; a test keeps
 * them equal.
 */
export const MIN_NODE = { major: 22, minor: 19 } as const;

export const NODE_VERSION_CODE = 'NODE_VERSION';

/** Whether `version` ("20.20.2", with or without a leading v) is new enough. */
export function nodeVersionOk(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return major > MIN_NODE.major || (major === MIN_NODE.major && minor >= MIN_NODE.minor);
}

/** The one-line complaint for an old Node (what is needed, what was found, how to get it), or undefined. */
export function nodeVersionProblem(version: string = process.versions.node): string | undefined {
  if (nodeVersionOk(version)) return undefined;
  return (
    `sregistry-globus needs Node.js ${MIN_NODE.major}.${MIN_NODE.minor} or newer (it uses node:sqlite), ` +
    `but this is Node.js ${version.replace(/^v/, '')}: install Node.js 24 (https://nodejs.org/en/download, or nvm install 24) and run it again`
  );
}
