/**
 * The package's public API: the registry operations, what they take and give, and the
 * rules every front end (CLI, Action, Node-RED) shares. Front ends import only this file.
 */
export { Registry, registryOptionsFromEnv } from './core/registry/registry.js';
export type {
  TransportChoice,
  Transport,
  GlobusSettings,
  RegistryOptions,
  ProgressEvent,
  RegistryEvent,
  CallOptions,
  PushOptions,
  ImageResult,
  SearchHit,
  DeleteResult,
  PruneOptions,
  PruneResult,
  PrunedFile,
  ReplicateOptions,
  ReplicateResult,
  LocalImage,
  SearchOptions,
  ApiCallLike,
} from './core/registry/types.js';
export { parseLocalPathMap, parseTransport, registryOptionsWith, TRANSPORTS, type EnvOptions, type OptionOverrides } from './core/registry/options.js';
export { SregistryError, isSregistryError, type ErrorCode, type ErrorDetails } from './core/errors.js';
export {
  parseReference,
  parseGlobusUri,
  parseImageUri,
  parseTags,
  isGlobusUri,
  isValidName,
  formatReference,
  formatGlobusUri,
  shortVersion,
  DEFAULT_COLLECTION,
  DEFAULT_TAG,
  type ImageRef,
  type VersionedRef,
  type GlobusUri,
} from './core/uri.js';
export { webAppUrl } from './core/layout.js';
export { DEFAULT_GRACE_HOURS, parsePruneScope } from './core/registry/prune.js';
export { Redactor, REDACTED } from './core/redact.js';
export { formatBytes } from './core/bytes.js';
export { hashFile, localFileSize } from './core/registry/file-facts.js';
export { writeSif } from './core/sif.js';
export type { Manifest, ManifestSource } from './core/manifest.js';
