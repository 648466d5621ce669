import type { CommandSpec } from '../command.js';
import { localRecord } from './get.js';
import { localDetails, localRows } from './show.js';

export const inspect: CommandSpec = {
  name: 'inspect',
  summary: 'show the local record of an image',
  positionals: [{ name: 'ref', required: true }],
  options: {},
  optionHelp: [],
  description:
    'Reads the local records for [collection/]name[:tag][@version]; the newest record when several match.\n' +
    'Without a tag it is latest, or the one tag recorded locally when there is no latest (without a\n' +
    'collection: library, or the one collection with that name); several are an error that lists them.',
  examples: ['sregistry-globus inspect library/lolcow:latest', 'sregistry-globus inspect lolcow --json'],
  globus: false,
  registry: true,
  async run(ctx) {
    const ref = ctx.positionals[0] as string;
    const found = await localRecord(ctx, ref);
    return { json: found, text: localDetails(found), rows: localRows([found]) };
  },
};
