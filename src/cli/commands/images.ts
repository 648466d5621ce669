import type { CommandSpec } from '../command.js';
import { localRows, localTable } from './show.js';

export const images: CommandSpec = {
  name: 'images',
  summary: 'list local records, optionally filtered',
  positionals: [{ name: 'query', required: false }],
  options: {},
  optionHelp: [],
  description: 'Lists the images recorded locally (pulled or recorded), those matching [query] when given.',
  examples: ['sregistry-globus images', 'sregistry-globus images lolcow --json'],
  globus: false,
  registry: true,
  async run(ctx) {
    const list = await ctx.registry().images(ctx.positionals[0]);
    return { json: { images: list }, text: localTable(list), rows: localRows(list) };
  },
};
