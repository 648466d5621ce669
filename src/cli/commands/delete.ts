import type { CommandSpec } from '../command.js';
import { deletedText } from './show.js';

export const del: CommandSpec = {
  name: 'delete',
  summary: 'delete an image tag (or one version of it) from the registry',
  positionals: [{ name: 'uri', required: true }],
  options: {},
  optionHelp: [],
  description:
    "Runs one Globus delete task and waits for it: the tag's manifests (every version, or only @version), and each\n" +
    'version file no other tag names afterwards. Old versions still tagged elsewhere stay (see prune). Local copies stay.',
  examples: ['sregistry-globus delete globus://6c4d0e3a-0000-4000-8000-000000000001/library/lolcow:v1'],
  globus: true,
  registry: true,
  async run(ctx) {
    const result = await ctx.registry().delete(ctx.positionals[0] as string, { signal: ctx.signal });
    return { json: result, text: deletedText(result) };
  },
};
