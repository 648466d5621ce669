import type { CommandSpec } from '../command.js';
import { searchRows, searchTable } from './show.js';

export const search: CommandSpec = {
  name: 'search',
  summary: 'find endpoints, or list the images of one registry',
  positionals: [{ name: 'query', required: false }],
  options: { endpoint: { type: 'string' } },
  optionHelp: [{ flag: '--endpoint ID', text: "list this endpoint's registry (UUID or display name) instead of searching endpoints" }],
  description:
    'Without --endpoint: searches Globus endpoints the client can see for [query].\n' +
    "With --endpoint: lists that registry's images whose name contains [query].",
  examples: ['sregistry-globus search lab', 'sregistry-globus search lolcow --endpoint 6c4d0e3a-0000-4000-8000-000000000001 --json'],
  globus: true,
  registry: true,
  async run(ctx) {
    const query = ctx.positionals[0];
    const endpoint = typeof ctx.values.endpoint === 'string' ? ctx.values.endpoint : undefined;
    const hits = await ctx.registry().search(query, { signal: ctx.signal, ...(endpoint !== undefined ? { endpoint } : {}) });
    return { json: { hits }, text: searchTable(hits, query, endpoint), rows: searchRows(hits) };
  },
};
