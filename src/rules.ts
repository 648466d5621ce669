/**
 * The rules the front ends share that need no network, tokens or database: names, tags
 * and URIs, option parsing, error codes, redaction, display. index.ts exports all of it
 * too; a front end imports this file where it checks its input before loading the rest,
 * since nothing here loads an HTTP client, a token library or SQLite (test/structure
 * holds it to that).
 */
export {
  databaseInFolder,
  readKeyringFile,
  readKeyringSetting,
  readPassphraseFile,
  readSecretFile,
  registryOptionsWith,
  type OptionOverrides,
} from './core/registry/options.js';
export { parseTransport, TRANSPORTS, TRANSPORT_HELP } from './core/registry/transports/transport.js';
export { parseVerifyPolicy, VERIFY_POLICIES, type VerifyPolicy } from './core/signing/policy.js';
export { displayLine } from './core/display.js';
export { parseDuration } from './core/duration.js';
export { SregistryError, isSregistryError } from './core/errors.js';
export {
  parseReference,
  toImageUri,
  isEndpointPath,
  parseTags,
  parseWatchTarget,
  formatWatchTarget,
  isGlobusUri,
  isValidName,
  formatGlobusUri,
  shortVersion,
  DEFAULT_COLLECTION,
} from './core/uri.js';
export { parsePrincipal } from './core/principal.js';
export { Redactor } from './core/redact.js';
export { formatBytes } from './core/bytes.js';
