/** The sandbox's world: clients, endpoints, permissions. Plain data, loaded from config. */
import type { Behaviour } from './behaviour.js';

export interface SandboxClient {
  id: string;
  secret: string;
  name: string;
}

/** GCP `config-paths` line: a folder of the machine the personal endpoint may reach. */
export interface ConfigPath {
  path: string;
  shareable: boolean;
  writable: boolean;
}

export type Access = 'r' | 'rw';

/** Who an access rule names, as Transfer's `principal_type`. */
export type PrincipalType = 'identity' | 'group' | 'all_authenticated_users' | 'anonymous';
export const PRINCIPAL_TYPES: readonly PrincipalType[] = ['identity', 'group', 'all_authenticated_users', 'anonymous'];

/** An access rule of a guest collection (Transfer's `access` document). */
export interface Permission {
  /** Rule id; rules of the config file get a stable id derived from the endpoint, principal and path. */
  id?: string;
  /** `identity` when absent (rules saved before principal types existed). */
  principalType?: PrincipalType;
  /** Client id (a client's identity id) or group id; empty for `all_authenticated_users` and `anonymous`. */
  principal: string;
  /** Endpoint path the permission covers (a folder, ending in `/`). */
  path: string;
  access: Access;
  /** `2021-01-15T18:13:10+00:00`. */
  createTime?: string;
  /** Past this time the rule grants nothing (same format), or null. */
  expirationDate?: string | null;
}

export type EntityType = 'GCP_mapped_collection' | 'GCSv5_guest_collection' | 'GCSv5_mapped_collection';

export interface SandboxEndpoint {
  id: string;
  displayName: string;
  entityType: EntityType;
  description: string;
  /** Client id of the owner: sees it under my-endpoints and may do anything on it. */
  owner: string;
  /** Guest/mapped collections: the folder on disk that is `/` on the endpoint. */
  root?: string;
  /** Personal endpoints: the folders of this machine it may reach, like GCP's config-paths. */
  configPaths?: ConfigPath[];
  /** Personal endpoints: the folder `/~/` stands for. */
  home?: string;
  /** Serve this collection over HTTPS on its own origin. */
  https: boolean;
  /** Filled in once the HTTPS server listens. */
  httpsServer?: string;
  highAssurance: boolean;
  public: boolean;
  permissions: Permission[];
  /** Personal endpoints: whether Globus Connect Personal is connected (false: ls 502 GCDisconnected, tasks wait). */
  connected?: boolean;
}

export interface SandboxWorld {
  clients: SandboxClient[];
  endpoints: SandboxEndpoint[];
  /** Lifetime of issued access tokens, seconds. Globus issues 172800. */
  tokenLifetime: number;
  /** Bearer token for the loopback-only admin API. */
  adminToken: string;
  /** Bytes per second a Transfer task copies at; unlimited when absent. For demos and tests that watch progress. */
  transferRate?: number;
  /** Switches and knobs; see behaviour.ts. */
  behaviour: Behaviour;
}

export const TRANSFER_RESOURCE_SERVER = 'transfer.api.globus.org';
export const TRANSFER_SCOPE = 'urn:globus:auth:scope:transfer.api.globus.org:all';
export const collectionScope = (collectionId: string, kind: 'https' | 'data_access'): string =>
  `https://auth.globus.org/scopes/${collectionId}/${kind}`;
/**
 * Whether Transfer and the collection's HTTPS server want the `data_access` consent:
 * GCSv5 mapped collections that are not high-assurance (guest collections, personal
 * endpoints and high-assurance collections do not).
 */
export const needsDataAccess = (endpoint: Pick<SandboxEndpoint, 'entityType' | 'highAssurance'>): boolean =>
  endpoint.entityType === 'GCSv5_mapped_collection' && !endpoint.highAssurance;
export const clientIdentity = (clientId: string): string => `${clientId}@clients.auth.globus.org`;
