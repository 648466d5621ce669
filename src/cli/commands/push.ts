import { readFileSync } from 'node:fs';
import {
  formatGlobusUri,
  isEndpointPath,
  isGlobusUri,
  parseReference,
  readPassphraseFile,
  type SigningKey,
} from '../../index.js';
import { keyValues } from '../args.js';
import type { CommandSpec, OptionValues } from '../command.js';
import { UsageError } from '../errors.js';
import { remoteImage } from '../refs.js';
import { imageRows, imageTable } from './show.js';

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
const str = (v: OptionValues[string]): string | undefined =>
  typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;

/**
 * Where to push and with which tags. `<uri>` as given, its --tag values extra tags; or
 * sregistry-cli's `--name <collection/name>[:<tag>] --tag <tag>` on `--endpoint`, where a
 * name without a tag takes the first --tag as its own.
 */
function target(positional: string | undefined, values: OptionValues): { uri: string; tags: string[] } {
  const tags = list(values.tag);
  const name = str(values.name);
  const endpoint = str(values.endpoint);
  if (positional !== undefined && name !== undefined)
    throw new UsageError('give the image once: as <uri> or as --name, not both', 'push');
  if (positional !== undefined) {
    if (endpoint !== undefined)
      throw new UsageError('--endpoint goes with --name <collection/name>; <uri> names its endpoint already', 'push');
    return { uri: remoteImage(positional), tags };
  }
  if (name === undefined) throw new UsageError('missing <uri> (or --name <collection/name> with --endpoint)', 'push');
  if (isGlobusUri(name) || isEndpointPath(name)) {
    if (endpoint !== undefined)
      throw new UsageError(
        '--endpoint goes with --name <collection/name>; this --name names its endpoint already',
        'push',
      );
    return { uri: remoteImage(name), tags };
  }
  if (endpoint === undefined) {
    throw new UsageError(
      `--name ${name} needs the endpoint: add --endpoint <UUID or display name>, or write --name globus://<endpoint>/${name}`,
      'push',
    );
  }
  const hasTag = /:[^/]*$/.test(name);
  const ref = parseReference(hasTag || tags.length === 0 ? name : `${name}:${tags[0] as string}`);
  return { uri: formatGlobusUri({ endpoint, ref }), tags: hasTag ? tags : tags.slice(1) };
}

/** `--sign-key FILE` with its passphrase from --sign-passphrase-file or SREGISTRY_GLOBUS_SIGNING_PASSPHRASE. */
function signingKeyFlags(values: OptionValues, env: NodeJS.ProcessEnv): SigningKey | undefined {
  const file = str(values['sign-key']);
  const passphraseFile = str(values['sign-passphrase-file']);
  if (file === undefined) {
    if (passphraseFile !== undefined) throw new UsageError('--sign-passphrase-file goes with --sign-key FILE', 'push');
    return undefined;
  }
  let armoredKey: string;
  try {
    armoredKey = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `--sign-key ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'unreadable'}): point it at an armored OpenPGP private key`,
      'push',
    );
  }
  let passphrase: string | undefined;
  try {
    passphrase =
      passphraseFile !== undefined ? readPassphraseFile(passphraseFile) : env.SREGISTRY_GLOBUS_SIGNING_PASSPHRASE;
  } catch (err) {
    throw new UsageError((err as Error).message, 'push');
  }
  return { armoredKey, where: file, ...(passphrase !== undefined && passphrase !== '' ? { passphrase } : {}) };
}

export const push: CommandSpec = {
  name: 'push',
  summary: 'upload a SIF image to a registry on a Globus endpoint',
  positionals: [
    { name: 'file', required: true },
    { name: 'uri', required: false },
  ],
  options: {
    tag: { type: 'string', multiple: true },
    source: { type: 'string', multiple: true },
    name: { type: 'string' },
    endpoint: { type: 'string' },
    'any-file': { type: 'boolean' },
    'sign-key': { type: 'string' },
    'sign-passphrase-file': { type: 'string' },
    'require-signed': { type: 'boolean' },
  },
  optionHelp: [
    {
      flag: '--tag TAG',
      text: 'another tag for the same bytes (repeatable); with --name and no tag in it, the first is its tag',
    },
    {
      flag: '--name COLLECTION/NAME',
      text: "sregistry-cli's form of the image, instead of <uri>; needs --endpoint unless it is a globus:// URI",
    },
    { flag: '--endpoint ID', text: 'the endpoint of --name (UUID or display name)' },
    { flag: '--source KEY=VALUE', text: 'provenance kept in the manifest, e.g. git_sha=... (repeatable)' },
    { flag: '--any-file', text: 'push a file without the SIF magic too (a legacy squashfs .simg); refused otherwise' },
    {
      flag: '--sign-key FILE',
      text: 'sign what is uploaded with this armored OpenPGP private key (as apptainer sign); <file> itself is not changed',
    },
    {
      flag: '--sign-passphrase-file FILE',
      text: "the signing key's passphrase, else SREGISTRY_GLOBUS_SIGNING_PASSPHRASE",
    },
    {
      flag: '--require-signed',
      text: 'refuse an image that is not signed whole by keys of --keyring (needs --keyring)',
    },
  ],
  description:
    'Uploads <file> to globus://<endpoint>/<collection>/<name>[:<tag>], hashing it on the way,\n' +
    'publishes it atomically and writes its manifest. Pushing a version that is already\n' +
    'there changes nothing (status "exists"). A collection, name or tag that sregistry-cli\n' +
    'would read as another image (a "." in the collection, ".sif"/".simg"/".img" inside a\n' +
    'name) is refused, so that both tools find the records. Only SIF images are pushed: a\n' +
    'file without the SIF magic is refused before anything is uploaded (--any-file pushes it).\n' +
    'After publishing, the tags are read back: a tag that another push won meanwhile is a\n' +
    'CONFLICT naming the manifest it resolves to.',
  examples: [
    'sregistry-globus push ./lolcow.sif globus://6c4d0e3a-0000-4000-8000-000000000001/library/lolcow:latest --tag v1.2',
    'sregistry-globus push ./app.sif --name lab/app --tag v1 --endpoint my-collection',
    'sregistry-globus push ./app.sif globus://my-collection/lab/app --source git_sha=$GITHUB_SHA --json',
    'sregistry-globus push ./app.sif globus://my-collection/lab/app:v2 --sign-key ./lab-signing.asc',
    'sregistry-globus push ./app.sif globus://my-collection/lab/app:v3 --require-signed --keyring ./lab-public.asc',
  ],
  globus: true,
  registry: true,
  async run(ctx) {
    const [file, positional] = ctx.positionals as [string, string | undefined];
    const { uri, tags: given } = target(positional, ctx.values);
    const tags = given.map((t) => t.toLowerCase());
    const source = keyValues('--source', list(ctx.values.source));
    const signingKey = signingKeyFlags(ctx.values, ctx.env);
    const results = await ctx.registry().push(file, uri, {
      signal: ctx.signal,
      // What was typed: the URI is already in its canonical (lower-case) form; the core says what it folded.
      given: [positional ?? str(ctx.values.name) ?? '', ...given],
      ...(tags.length > 0 ? { tags } : {}),
      ...(Object.keys(source).length > 0 ? { source } : {}),
      ...(ctx.values['any-file'] === true ? { anyFile: true } : {}),
      ...(signingKey ? { signingKey } : {}),
      ...(ctx.values['require-signed'] === true ? { requireSigned: true } : {}),
    });
    return { json: { images: results }, text: imageTable(results), rows: imageRows(results) };
  },
};
