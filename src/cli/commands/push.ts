import { keyValues } from '../args.js';
import type { CommandSpec } from '../command.js';
import { imageTable } from './show.js';

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

export const push: CommandSpec = {
  name: 'push',
  summary: 'upload a SIF image to a registry on a Globus endpoint',
  positionals: [
    { name: 'file', required: true },
    { name: 'uri', required: true },
  ],
  options: {
    tag: { type: 'string', multiple: true },
    source: { type: 'string', multiple: true },
  },
  optionHelp: [
    { flag: '--tag TAG', text: 'another tag for the same bytes (repeatable); the image is uploaded once' },
    { flag: '--source KEY=VALUE', text: 'provenance kept in the manifest, e.g. git_sha=... (repeatable)' },
  ],
  description:
    'Uploads <file> to globus://<endpoint>/<collection>/<name>[:<tag>], hashing it on the way,\n' +
    'publishes it atomically and writes its manifest. Pushing a version that is already\n' +
    'there changes nothing (status "exists").',
  examples: [
    'sregistry-globus push ./lolcow.sif globus://6c4d0e3a-0000-4000-8000-000000000001/library/lolcow:latest --tag v1.2',
    'sregistry-globus push ./app.sif globus://my-collection/lab/app --source git_sha=$GITHUB_SHA --json',
  ],
  globus: true,
  registry: true,
  async run(ctx) {
    const [file, uri] = ctx.positionals as [string, string];
    const tags = list(ctx.values.tag);
    const source = keyValues('--source', list(ctx.values.source));
    const results = await ctx.registry().push(file, uri, {
      signal: ctx.signal,
      ...(tags.length > 0 ? { tags } : {}),
      ...(Object.keys(source).length > 0 ? { source } : {}),
    });
    return { json: { images: results }, text: imageTable(results) };
  },
};
