import type { CommandSpec } from '../command.js';
import { searchRows, searchTable } from './show.js';

export const search: CommandSpec = {
  name: 'search',
  summary: 'find endpoints, or list the images of one registry',
  positionals: [{ name: 'query', required: false }],
  options: { endpoint: { type: 'string' }, signers: { type: 'boolean' } },
  optionHelp: [
    {
      flag: '--endpoint ID',
      text: "list this endpoint's registry (UUID or display name) instead of searching endpoints",
    },
    {
      flag: '--signers',
      text: "with --endpoint: also read each image's manifest for its signers' fingerprints (one more call per image; advisory)",
    },
  ],
  description:
    'Without --endpoint: searches Globus endpoints the client can see for [query].\n' +
    "With --endpoint: lists that registry's images whose name contains [query].",
  examples: [
    'sregistry-globus search lab',
    'sregistry-globus search lolcow --endpoint 6c4d0e3a-0000-4000-8000-000000000001 --json',
    'sregistry-globus search lab/ --endpoint lab-registry --signers --json',
  ],
  globus: true,
  registry: true,
  async run(ctx) {
    const query = ctx.positionals[0];
    const endpoint = typeof ctx.values.endpoint === 'string' ? ctx.values.endpoint : undefined;
    const hits = await ctx.registry().search(query, {
      signal: ctx.signal,
      ...(endpoint !== undefined ? { endpoint } : {}),
      ...(ctx.values.signers === true ? { signers: true } : {}),
    });
    return { json: { hits }, text: searchTable(hits, query, endpoint), rows: searchRows(hits) };
  },
};
