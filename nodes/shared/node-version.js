/**
 * The Node version check for the nodes (CommonJS, as Node-RED loads them). The same
 * minimum as src/node-version.ts (a test keeps them equal): the core links node:sqlite
 * and undici 8, which an older Node cannot run.
 */
'use strict';

const MIN_NODE = { major: 22, minor: 19 };

/** The one-line complaint for an old Node (what is needed, what was found, how to get it), or undefined. */
function nodeVersionProblem(version = process.versions.node) {
  const [major = 0, minor = 0] = String(version).replace(/^v/, '').split('.').map(Number);
  if (major > MIN_NODE.major || (major === MIN_NODE.major && minor >= MIN_NODE.minor)) return undefined;
  return (
    `sregistry-globus needs Node.js ${MIN_NODE.major}.${MIN_NODE.minor} or newer (it uses node:sqlite), ` +
    `but Node-RED runs on Node.js ${String(version).replace(/^v/, '')}: install Node.js 24 (https://nodejs.org/en/download, or nvm install 24) and restart Node-RED`
  );
}

/** The short form for a node's status. */
const NODE_VERSION_STATUS = `needs Node.js ${MIN_NODE.major}.${MIN_NODE.minor}+`;

module.exports = { MIN_NODE, NODE_VERSION_STATUS, nodeVersionProblem };
