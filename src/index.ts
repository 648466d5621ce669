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
  DeleteOptions,
  RemoveResult,
  PruneOptions,
  PruneResult,
  PrunedFile,
  ReplicateOptions,
  ReplicateResult,
  LocalImage,
  SearchOptions,
  ApiCallLike,
} from './core/registry/types.js';
export { databaseInFolder, parseLocalPathMap, parseTransport, readSecretFile, registryOptionsWith, TRANSPORTS, type EnvOptions, type OptionOverrides } from './core/registry/options.js';
export { displayLine } from './core/display.js';
export { SregistryError, isSregistryError, type ErrorCode, type ErrorDetails } from './core/errors.js';
export {
  parseReference,
  parseGlobusUri,
  parseImageUri,
  toImageUri,
  isEndpointPath,
  sregistryCliConflict,
  parseTags,
  parseWatchTarget,
  formatWatchTarget,
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
  type WatchTarget,
} from './core/uri.js';
export { webAppUrl } from './core/layout.js';
export {
  Watch,
  newWatchState,
  restoreWatchState,
  DEFAULT_WATCH_INTERVAL_MS,
  MIN_WATCH_INTERVAL_MS,
  type WatchEvent,
  type WatchOptions,
  type WatchState,
  type WatchedVersion,
} from './core/registry/watch.js';
export { loadWatchState, saveWatchState } from './core/registry/watch-file.js';
export { DEFAULT_GRACE_HOURS, parsePruneScope } from './core/registry/prune.js';
export { Redactor, REDACTED } from './core/redact.js';
export { formatBytes } from './core/bytes.js';
export { hashFile, localFileSize } from './core/registry/file-facts.js';
export { writeSif } from './core/sif.js';
export type { Manifest, ManifestSource } from './core/manifest.js';
export { PROBES, type DoctorReport, type DoctorCheck, type ProbeResult, type CheckStatus } from './core/registry/doctor.js';
