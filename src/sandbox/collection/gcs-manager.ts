import type { SandboxContext } from '../context.js';
import { canSee } from '../access.js';
import { sendJson, type Exchange } from '../http.js';
import { clientIdentity, type SandboxEndpoint } from '../model.js';
import { bearerToken } from '../auth/tokens.js';
import { SANDBOX_GCS_VERSION, derivedId } from '../transfer/endpoints/document.js';

/** The GCS Manager API version the documents below follow (globus-sdk-python's `get_gcs_info` data). */
const API_VERSION = '1.29.0';
/** The POSIX connector's id, the same on every GCS endpoint. */
const POSIX_CONNECTOR = '145812c8-decc-41f1-83cf-bb2a85a2a70b';

/**
 * The least of the GCS Manager API a client needs to describe a collection, served under
 * `/api/` of the collection's origin (its `gcs_manager_url`): `GET /api/info`, which
 * needs no token, and `GET /api/collections/<id>`, which needs a token of this sandbox
 * whose client may see the collection. Nothing else of the Manager API is served.
 * Errors use the Manager's `result#1.0.0` envelope with a lower-case `code`.
 */
export function gcsManagerRoute(ctx: SandboxContext, endpoint: SandboxEndpoint, ex: Exchange): void {
  const path = ex.url.pathname.replace(/\/+$/, '');
  if (path === '/api/info') {
    sendJson(ex.res, 200, {
      DATA_TYPE: 'result#1.1.0',
      code: 'success',
      detail: 'success',
      http_response_code: 200,
      has_next_page: false,
      data: [
        {
          DATA_TYPE: 'info#1.0.0',
          api_version: API_VERSION,
          client_id: gcsEndpointId(endpoint),
          domain_name: new URL(endpoint.httpsServer ?? ctx.origin).host,
          endpoint_id: gcsEndpointId(endpoint),
          manager_version: SANDBOX_GCS_VERSION,
        },
        { DATA_TYPE: 'connector#1.1.0', display_name: 'POSIX', id: POSIX_CONNECTOR, is_baa: false, is_ha: false },
      ],
    });
    return;
  }
  const match = /^\/api\/collections\/(?<id>[^/]+)$/.exec(path);
  if (!match) return managerError(ex, 404, 'not_found', `No such GCS Manager resource: ${path}`);
  const raw = bearerToken(ex.req);
  const token = raw ? ctx.tokens.active(raw) : undefined;
  if (!token) return managerError(ex, 401, 'unauthorized', 'Missing or invalid bearer token');
  ex.clientId = token.clientId;
  if (match.groups!.id !== endpoint.id)
    return managerError(ex, 404, 'not_found', `No collection ${match.groups!.id} on this endpoint`);
  if (!canSee(endpoint, token.clientId))
    return managerError(ex, 403, 'permission_denied', 'Could not get collection. Insufficient permissions');
  sendJson(ex.res, 200, {
    DATA_TYPE: 'result#1.0.0',
    code: 'success',
    detail: 'success',
    http_response_code: 200,
    has_next_page: false,
    data: [collectionDocument(endpoint)],
  });
}

/** The GCS Manager `collection#1.0.0` document of a sandbox collection. */
export function collectionDocument(endpoint: SandboxEndpoint): Record<string, unknown> {
  const guest = endpoint.entityType === 'GCSv5_guest_collection';
  const origin = endpoint.httpsServer ? new URL(endpoint.httpsServer).origin : null;
  return {
    DATA_TYPE: 'collection#1.0.0',
    id: endpoint.id,
    display_name: endpoint.displayName,
    collection_type: guest ? 'guest' : 'mapped',
    identity_id: endpoint.owner,
    owner_id: gcsEndpointId(endpoint),
    storage_gateway_id: derivedId(endpoint.id, 'storage-gateway'),
    connector_id: POSIX_CONNECTOR,
    ...(guest
      ? {
          mapped_collection_id: derivedId(endpoint.id, 'mapped-collection'),
          host_endpoint_id: derivedId(endpoint.id, 'mapped-collection'),
        }
      : { allow_guest_collections: false }),
    description: endpoint.description,
    public: endpoint.public,
    high_assurance: endpoint.highAssurance,
    require_high_assurance: endpoint.highAssurance,
    require_mfa: false,
    authentication_assurance_timeout: null,
    authentication_timeout_mins: null,
    disable_anonymous_writes: false,
    force_encryption: false,
    gcs_version: SANDBOX_GCS_VERSION,
    manager_url: origin,
    https_url: origin,
    tlsftp_url: null,
    root_path: '/',
    default_directory: '/',
    is_globus_connect: false,
    non_functional: false,
    organization: 'sregistry-globus sandbox',
    department: null,
    keywords: null,
    contact_email: null,
    contact_info: null,
    info_link: null,
    user_message: null,
    user_message_link: null,
    policies: {},
    created_by: clientIdentity(endpoint.owner),
  };
}

function managerError(ex: Exchange, status: number, code: string, message: string): void {
  sendJson(ex.res, status, {
    DATA_TYPE: 'result#1.0.0',
    code,
    http_response_code: status,
    detail: null,
    message,
    data: [],
    has_next_page: false,
  });
}

/** The GCSv5 endpoint a collection lives on, the same id its Transfer document names (`non_functional_endpoint_id`). */
const gcsEndpointId = (endpoint: SandboxEndpoint): string => derivedId(endpoint.id, 'gcs-endpoint');
