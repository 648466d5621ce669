import type { CommandSpec } from '../command.js';
import { deletedText } from './show.js';

export const del: CommandSpec = {
  name: 'delete',
  summary: 'delete an image (tag or version) and its manifest from the registry',
  positionals: [{ name: 'uri', required: true }],
  options: {},
  optionHelp: [],
  description: 'Runs a Globus delete task for the image file and its manifest and waits for it. Local copies stay.',
  examples: ['sregistry-globus delete globus://6c4d0e3a-0000-4000-8000-000000000001/library/lolcow:v1'],
  globus: true,
  registry: true,
  async run(ctx) {
    const result = await ctx.registry().delete(ctx.positionals[0] as string, { signal: ctx.signal });
    return { json: result, text: deletedText(result) };
  },
};
