/** Globus Auth for a confidential client: service URLs, scopes, cached client_credentials tokens. */
export { TokenSource, type TokenSourceOptions, type AccessToken, type CallOptions } from './token-source.js';
export { resolveServiceUrls, GLOBUS_ENVIRONMENTS, type ServiceUrlOptions, type ServiceUrls } from './environment.js';
export {
  TRANSFER_SCOPE,
  TRANSFER_RESOURCE_SERVER,
  collectionHttpsScope,
  dataAccessScope,
  transferScopeWithDataAccess,
  splitScopes,
  normalizeScopes,
  scopeKey,
} from './scopes.js';
