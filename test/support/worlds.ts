import { randomUUID } from 'node:crypto';
import type { Access, SandboxClient, SandboxEndpoint, SandboxWorld } from '../../src/sandbox/model.js';

/** A client with a fresh id; the secret is random unless given. */
export function newClient(name: string, secret: string = randomUUID()): SandboxClient {
  return { id: randomUUID(), secret, name };
}

/** Adds `client` to the world and grants it `access` to `path` of the guest collection. */
export function addCollectionUser(world: SandboxWorld, client: SandboxClient, path = '/', access: Access = 'r'): void {
  world.clients.push(client);
  world.endpoints[1]!.permissions.push({ principal: client.id, path, access });
}

type EndpointFields = Pick<SandboxEndpoint, 'displayName' | 'entityType' | 'owner'> & Partial<SandboxEndpoint>;

/** An extra endpoint: a fresh id, no HTTPS, not high-assurance, not public, no permissions, unless given. */
export function extraEndpoint(fields: EndpointFields): SandboxEndpoint {
  return {
    id: randomUUID(),
    description: '',
    https: false,
    highAssurance: false,
    public: false,
    permissions: [],
    ...fields,
  };
}

/** A GCSv5 mapped collection `sandbox-mapped` of the world's default client (for data_access consent cases). */
export function mappedCollection(
  world: SandboxWorld,
  fields: Pick<SandboxEndpoint, 'id' | 'description' | 'root'> & Partial<SandboxEndpoint>,
): SandboxEndpoint {
  return extraEndpoint({
    displayName: 'sandbox-mapped',
    entityType: 'GCSv5_mapped_collection',
    owner: world.clients[0]!.id,
    ...fields,
  });
}
