import type { CommandSpec } from '../command.js';
import { remoteImage } from '../refs.js';
import { imageDetails, imageRows } from './show.js';

export const pull: CommandSpec = {
  name: 'pull',
  summary: 'download an image into local storage, verify it and record it',
  positionals: [{ name: 'uri', required: true }],
  options: {},
  optionHelp: [],
  description:
    'Resolves the tag to its newest complete version, downloads it to a temporary file,\n' +
    'checks its SHA-256, moves it into the local storage and writes a local record.',
  examples: [
    'sregistry-globus pull globus://6c4d0e3a-0000-4000-8000-000000000001/library/lolcow:latest',
    'sregistry-globus pull globus://my-collection/lab/app:v1 --transport transfer --local-endpoint $MY_GCP_ENDPOINT',
  ],
  globus: true,
  registry: true,
  async run(ctx) {
    const result = await ctx
      .registry()
      .pull(remoteImage(ctx.positionals[0] as string), { signal: ctx.signal, given: [ctx.positionals[0] as string] });
    return { json: result, text: imageDetails(result), rows: imageRows([result]) };
  },
};
