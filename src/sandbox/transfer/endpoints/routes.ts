import type { Router } from '../../http.js';
import { sendJson } from '../../http.js';
import type { SandboxContext } from '../../context.js';
import { endpointIdParam, transferCaller, visibleEndpoint } from '../caller.js';
import { endpointDocument } from './document.js';
import { parseSearch, searchEndpoints } from './search.js';

/** `GET /v0.10/endpoint_search` and `GET /v0.10/endpoint/<id>`. */
export function endpointRoutes(router: Router, ctx: SandboxContext): void {
  router.on('GET', /^\/v0\.10\/endpoint_search\/?$/, (ex) => {
    const clientId = transferCaller(ctx, ex);
    const request = parseSearch(ex.url);
    const hits = searchEndpoints(ctx.world.endpoints, clientId, request);
    const page = hits.slice(request.offset, request.offset + request.limit);
    sendJson(ex.res, 200, {
      DATA_TYPE: 'endpoint_list',
      DATA: page.map((hit) => ({ ...endpointDocument(hit.endpoint, clientId), _rank: hit.rank })),
      limit: request.limit,
      offset: request.offset,
      has_next_page: request.offset + request.limit < hits.length,
    });
  });

  router.on('GET', /^\/v0\.10\/endpoint\/(?<id>[^/]+)\/?$/, (ex) => {
    const clientId = transferCaller(ctx, ex);
    const endpoint = visibleEndpoint(ctx, endpointIdParam(ex.params), clientId);
    sendJson(ex.res, 200, endpointDocument(endpoint, clientId));
  });
}
