/**
 * The endpoint facts the operations use, read from an endpoint document, and the
 * collection HTTPS target they make. No client here: the light modules use it too.
 */
import { SregistryError } from '../errors.js';
import type { CollectionTarget } from '../collection/index.js';
import type { EndpointDocument } from '../transfer/documents.js';

/** The endpoint facts the operations use. */
export interface EndpointInfo {
  id: string;
  displayName: string;
  entityType: string;
  httpsServer: string | null;
  owner: string;
  /** A GCSv5 mapped collection that is not high-assurance: Transfer and its HTTPS want the data_access consent. */
  dataAccess: boolean;
  /** Globus Connect Personal: whether it is connected now (null for other kinds). */
  gcpConnected: boolean | null;
}

export const endpointInfo = (doc: EndpointDocument): EndpointInfo => ({
  id: doc.id.toLowerCase(),
  displayName: doc.display_name ?? doc.id,
  entityType: String(doc.entity_type ?? ''),
  httpsServer: typeof doc.https_server === 'string' && doc.https_server !== '' ? doc.https_server : null,
  owner: doc.owner_string ?? doc.owner_id ?? '',
  dataAccess: needsDataAccess(doc),
  gcpConnected: typeof doc.gcp_connected === 'boolean' ? doc.gcp_connected : null,
});

/** As globus-sdk-python's GCSDownloader decides it: a GCSv5 mapped collection that is not high-assurance. */
export const needsDataAccess = (doc: Pick<EndpointDocument, 'entity_type' | 'high_assurance'>): boolean =>
  doc.entity_type === 'GCSv5_mapped_collection' && doc.high_assurance !== true;

export const httpsTarget = (ep: EndpointInfo): CollectionTarget => {
  if (!ep.httpsServer)
    throw new SregistryError('INVALID_INPUT', `Collection ${ep.displayName} (${ep.id}) has no https_server`);
  return { httpsServer: ep.httpsServer, collectionId: ep.id, ...(ep.dataAccess ? { dataAccess: true } : {}) };
};
