/** The package's public API: the registry operations and what they take and give. */
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
  LocalImage,
  SearchOptions,
  ApiCallLike,
} from './core/registry/types.js';
export { parseLocalPathMap, parseTransport, type EnvOptions } from './core/registry/options.js';
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
