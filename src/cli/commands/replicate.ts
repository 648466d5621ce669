import { parseTags } from '../../index.js';
import type { CommandSpec } from '../command.js';
import { replicatedText } from './show.js';

export const replicate: CommandSpec = {
  name: 'replicate',
  summary: "copy an image's tags and their versions to the registry on another collection",
  positionals: [
    { name: 'source', required: true },
    { name: 'destination', required: true },
  ],
  options: { tag: { type: 'string', multiple: true } },
  optionHelp: [
    {
      flag: '--tag TAG',
      text: 'also copy this tag (repeatable); without a tag here or in <source>, every tag is copied',
    },
  ],
  description:
    'Copies globus://<endpoint>/<collection>/<name>[:<tag>] to the registry on <destination> (globus://<endpoint>),\n' +
    'same collection and name, with one Globus Transfer task between the two collections: the bytes never pass\n' +
    'through this machine, checksums are verified, versions and manifests already there are skipped, and the\n' +
    'manifests appear last, so a reader at the other site never sees a tag before its version is whole.',
  examples: [
    'sregistry-globus replicate globus://6c4d0e3a-0000-4000-8000-000000000001/library/lolcow globus://hpc-site-registry',
  ],
  globus: true,
  registry: true,
  async run(ctx) {
    const tags = Array.isArray(ctx.values.tag) ? parseTags(ctx.values.tag.map(String)) : [];
    const result = await ctx
      .registry()
      .replicate(ctx.positionals[0] as string, ctx.positionals[1] as string, { tags, signal: ctx.signal });
    return { json: result, text: replicatedText(result) };
  },
};
