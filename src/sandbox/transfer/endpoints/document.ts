import { clientIdentity, type SandboxEndpoint } from '../../model.js';
import { stableId } from '../../stable-id.js';

/** Version reported for the sandbox's GCSv5 collections; a real 5.4 release string. */
export const SANDBOX_GCS_VERSION = '5.4.10';

const OWNER_ROLES = ['administrator', 'access_manager', 'activity_manager', 'activity_monitor'];

/**
 * The Transfer `endpoint` document of a sandbox endpoint, with every key a real v0.10
 * answer carries (the GCSv5 collection and full GCSv4 documents of the fixtures). Keys the
 * sandbox has no notion of (subscriptions, MyProxy, S3, contact details) are null or their
 * neutral value.
 */
export function endpointDocument(endpoint: SandboxEndpoint, clientId: string): Record<string, unknown> {
  const gcp = endpoint.entityType === 'GCP_mapped_collection';
  const guest = endpoint.entityType === 'GCSv5_guest_collection';
  const owner = endpoint.owner === clientId;
  // A GCSv5 collection lives on a GCSv5 endpoint and a guest collection on a mapped one; the
  // sandbox models neither, so both get stable ids derived from the collection's.
  const hostEndpointId = gcp ? null : derivedId(endpoint.id, 'gcs-endpoint');
  const mappedId = guest ? derivedId(endpoint.id, 'mapped-collection') : null;
  return {
    DATA_TYPE: 'endpoint',
    DATA: [serverDocument(endpoint)],
    id: endpoint.id,
    display_name: endpoint.displayName,
    canonical_name: `${endpoint.owner}#${endpoint.id}`,
    name: null,
    username: null,
    description: endpoint.description,
    entity_type: endpoint.entityType,
    owner_id: endpoint.owner,
    owner_string: clientIdentity(endpoint.owner),
    organization: 'sregistry-globus sandbox',
    department: null,
    contact_email: null,
    contact_info: null,
    info_link: null,
    keywords: null,
    user_message: null,
    user_message_link: null,
    subscription_id: null,
    public: endpoint.public,
    high_assurance: endpoint.highAssurance,
    mfa_required: false,
    authentication_assurance_timeout: null,
    authentication_timeout_mins: null,
    non_functional: false,
    non_functional_endpoint_id: hostEndpointId,
    non_functional_endpoint_display_name: hostEndpointId ? `${endpoint.displayName} endpoint` : null,
    mapped_collection_id: mappedId,
    mapped_collection_display_name: mappedId ? `${endpoint.displayName} mapped collection` : null,
    french_english_bilingual: false,
    disable_anonymous_writes: false,
    requester_pays: false,
    acl_max_expiration_period_mins: null,
    authentication_policy_id: null,
    last_accessed_time: null,
    gcs_version: gcp ? null : SANDBOX_GCS_VERSION,
    gcs_manager_url: gcp ? null : endpoint.httpsServer ? new URL(endpoint.httpsServer).origin : null,
    https_server: endpoint.httpsServer ?? null,
    tlsftp_server: null,
    host_endpoint: null,
    host_endpoint_display_name: null,
    host_endpoint_id: mappedId,
    host_path: null,
    sharing_target_endpoint: null,
    sharing_target_root_path: null,
    is_globus_connect: gcp,
    globus_connect_setup_key: null,
    gcp_connected: gcp ? endpoint.connected !== false : null,
    gcp_paused: gcp ? false : null,
    is_go_storage: false,
    storage_type: null,
    s3_url: null,
    s3_owner_activated: false,
    myproxy_server: null,
    myproxy_dn: null,
    oauth_server: null,
    activated: false,
    expires_in: -1,
    expire_time: null,
    default_directory: null,
    local_user_info_available: false,
    shareable: gcp ? (endpoint.configPaths ?? []).some((c) => c.shareable) : !guest,
    acl_available: guest,
    acl_editable: guest && owner,
    in_use: false,
    force_encryption: false,
    force_verify: false,
    disable_verify: false,
    location: null,
    network_use: 'normal',
    max_concurrency: 4,
    max_parallelism: 8,
    preferred_concurrency: 2,
    preferred_parallelism: 4,
    my_effective_roles: owner ? OWNER_ROLES : [],
  };
}

/** The one `server` entry of an endpoint's DATA: the HTTPS host for collections, none for GCP. */
function serverDocument(endpoint: SandboxEndpoint): Record<string, unknown> {
  const https = endpoint.httpsServer ? new URL(endpoint.httpsServer) : undefined;
  const gcp = endpoint.entityType === 'GCP_mapped_collection';
  return {
    DATA_TYPE: 'server',
    // Real server ids are small integers; derive a stable one from the endpoint id.
    id: Number.parseInt(endpoint.id.replace(/[^0-9a-f]/gi, '').slice(0, 6) || '0', 16),
    hostname: gcp ? null : (https?.hostname ?? '127.0.0.1'),
    port: https ? Number(https.port) : null,
    scheme: https ? https.protocol.slice(0, -1) : null,
    uri: https ? https.origin : null,
    subject: null,
    is_connected: true,
    is_paused: false,
    incoming_data_port_start: null,
    incoming_data_port_end: null,
    outgoing_data_port_start: null,
    outgoing_data_port_end: null,
  };
}

/** A UUID-shaped id that always comes out the same for the same endpoint and role. */
export const derivedId = (endpointId: string, role: string): string => stableId(role, endpointId);
