/** The package's public API: the registry operations and what they take and give. */
export { Registry, registryOptionsFromEnv, type SearchOptions } from './core/registry/registry.js';
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
  LocalImage,
} from './core/registry/types.js';
export type { ApiCallLike } from './core/registry/api-call.js';
export { parseLocalPathMap, parseTransport, type EnvOptions } from './core/registry/options.js';
export { displayLine } from './core/display.js';
export { SregistryError, isSregistryError, type ErrorCode, type ErrorDetails } from './core/errors.js';
export {
  parseReference,
  parseGlobusUri,
  formatReference,
  formatGlobusUri,
  DEFAULT_COLLECTION,
  DEFAULT_TAG,
  type ImageRef,
  type VersionedRef,
  type GlobusUri,
} from './core/uri.js';
export type { Manifest, ManifestSource } from './core/manifest.js';
