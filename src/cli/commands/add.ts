import type { CommandSpec } from '../command.js';
import { localDetails, localRows } from './show.js';

export const add: CommandSpec = {
  name: 'add',
  summary: 'put a local image file into storage and record it',
  positionals: [
    { name: 'file', required: true },
    { name: 'ref', required: true },
  ],
  options: {},
  optionHelp: [],
  description:
    "As sregistry-cli's add: copies <file> to <storage>/<collection>/<name>/<tag>@<sha256>.sif\n" +
    'and writes a local record for [collection/]name[:tag] (version: the SHA-256). The file\n' +
    'you give stays where it is. No Globus credentials needed.',
  examples: ['sregistry-globus add ./app.sif lab/app:v1', 'sregistry-globus add ./app.sif lab/app -F unix'],
  globus: false,
  registry: true,
  async run(ctx) {
    const [file, ref] = ctx.positionals as [string, string];
    const added = await ctx.registry().add(file, ref);
    return { json: added, text: localDetails(added), rows: localRows([added]) };
  },
};
