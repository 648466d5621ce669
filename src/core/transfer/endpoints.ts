import type { ApiRequest, CallOptions, TransferApi } from './api.js';
import type { EndpointDocument, EndpointList } from './documents.js';
import { offsetPaged } from './paging.js';
import { dataOf, documentWith } from './shapes.js';

export type EndpointSearchScope =
  'all' | 'my-endpoints' | 'my-gcp-endpoints' | 'shared-with-me' | 'recently-used' | 'administered-by-me';

export interface EndpointSearchOptions extends CallOptions {
  /** Words to match against names, descriptions, owners. */
  fulltext?: string;
  /** Which endpoints to search; the service's default is `all`. */
  scope?: EndpointSearchScope;
  /** Most results wanted in all; at most 1000, the service's cap per search. */
  limit?: number;
}

/** Results one endpoint_search can page through; paging further is refused by the service. */
export const ENDPOINT_SEARCH_CAP = 1000;
export const ENDPOINT_SEARCH_PAGE = 100;

export const endpointPath = (id: string): string => `endpoint/${encodeURIComponent(id)}`;

/** Endpoints matching a search, best first, fetched a page (100) at a time; stops quietly at the 1000-result cap. */
export function searchEndpoints(
  api: TransferApi,
  options: EndpointSearchOptions = {},
): AsyncIterable<EndpointDocument> {
  const maxItems = Math.min(ENDPOINT_SEARCH_CAP, Math.max(0, Math.floor(options.limit ?? ENDPOINT_SEARCH_CAP)));
  const what = options.fulltext ? `searching endpoints for "${options.fulltext}"` : 'searching endpoints';
  return offsetPaged(
    async (offset, limit) => {
      const req: ApiRequest = {
        path: 'endpoint_search',
        query: { filter_fulltext: options.fulltext || undefined, filter_scope: options.scope, limit, offset },
        action: what,
        ...(options.signal ? { signal: options.signal } : {}),
      };
      const page = await api.call<EndpointList>(req);
      return { items: dataOf<EndpointDocument>(page, what, ['id']), more: page.has_next_page === true };
    },
    { pageSize: ENDPOINT_SEARCH_PAGE, maxItems },
  );
}

export async function getEndpoint(api: TransferApi, id: string, options: CallOptions = {}): Promise<EndpointDocument> {
  const doc = await api.call<unknown>({ path: endpointPath(id), action: `getting endpoint ${id}`, ...options });
  return documentWith<EndpointDocument>(doc, `getting endpoint ${id}`, ['id']);
}
