/**
 * Loads the ES-module core once per process. Node-RED requires node files as CommonJS,
 * so the package's public API comes in through a dynamic import of the built entry.
 */
'use strict';
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { nodeVersionProblem } = require('./node-version.js');

const ENTRY = path.join(__dirname, '..', '..', 'lib', 'index.js');

let loading;

/** The core's public API (Registry, registryOptionsWith, parseReference, ...), loaded once. */
function loadCore() {
  if (!loading) {
    // Checked before the import: on an older Node it would fail linking node:sqlite.
    const problem = nodeVersionProblem();
    if (problem) return Promise.reject(new Error(problem));
    loading = import(pathToFileURL(ENTRY).href).catch((err) => {
      loading = undefined;
      throw new Error(
        `sregistry: cannot load the core from ${ENTRY} (reinstall the package; in a clone of its repository, run "npm run build"): ${err.message}`,
        { cause: err },
      );
    });
  }
  return loading;
}

module.exports = { loadCore };
