import type { CommandSpec } from '../command.js';
import { remoteImage } from '../refs.js';
import { imageDetails, imageRows } from './show.js';

export const record: CommandSpec = {
  name: 'record',
  summary: 'write a local record of a remote image without downloading it',
  positionals: [{ name: 'uri', required: true }],
  options: {},
  optionHelp: [],
  description: 'Resolves the image and reads its manifest, then records it locally (with its URL, no file).',
  examples: ['sregistry-globus record globus://6c4d0e3a-0000-4000-8000-000000000001/library/lolcow:latest'],
  globus: true,
  registry: true,
  async run(ctx) {
    const result = await ctx.registry().record(remoteImage(ctx.positionals[0] as string), { signal: ctx.signal });
    return { json: result, text: imageDetails(result), rows: imageRows([result]) };
  },
};
