/**
 * command: pull — every tag of one image into the pull-to folder. The version is resolved
 * first (a manifest read, no download), so the Actions cache can be asked for exactly that
 * version before any image byte moves. Downloads go to the core's storage under RUNNER_TEMP,
 * are linked into a staging folder in pull-to, and take their place only when all are there.
 */
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { formatGlobusUri } from '../core/uri.js';
import type { ImageResult } from '../core/registry/types.js';
import { actionsCache, cacheKey, type ImageCache } from './cache.js';
import { parseImageName, type ImageName } from './names.js';
import { fileSha256, placeFile } from './place.js';
import type { RunContext } from './push.js';

/** File name of a pulled image inside pull-to. */
export const pulledFileName = (image: ImageName, tag: string): string => `${image.name}_${tag}.sif`;

/** Where images wait inside pull-to until every tag of the run is here. */
const STAGING = '.sregistry-globus-staging';

export async function runPull(ctx: RunContext): Promise<ImageResult[]> {
  const { inputs, log } = ctx;
  const image = parseImageName(inputs.name);
  const folder = resolve(ctx.env.GITHUB_WORKSPACE || process.cwd(), inputs.pullTo);
  const staging = join(folder, STAGING);
  const imageCache = actionsCache(inputs.cache, log);
  const staged: Array<{ from: string; to: string }> = [];
  const results: ImageResult[] = [];
  try {
    for (const tag of inputs.tags) {
      const dest = join(folder, pulledFileName(image, tag));
      const stage = join(staging, pulledFileName(image, tag));
      await log.group(`pull ${image.collection}/${image.name}:${tag} to ${dest}`, async () => {
        const started = Date.now();
        const result = { ...(await fetchOne(ctx, image, tag, stage, imageCache)), image: dest };
        staged.push({ from: stage, to: dest });
        log.info(`${result.status}: ${result.uri} -> ${dest}`);
        ctx.rows.push({ result, ms: Date.now() - started });
        results.push(result);
      });
    }
    // All or nothing: the files in pull-to change only once every tag was fetched, so a
    // failed run leaves pull-to as it found it.
    for (const { from, to } of staged) await placeFile(from, to);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return results;
}

/** One tag's image into `stage`, from the Actions cache when it holds that version, else from Globus. */
async function fetchOne(ctx: RunContext, image: ImageName, tag: string, stage: string, imageCache: ImageCache | undefined): Promise<ImageResult> {
  const { inputs, registry, log, signal } = ctx;
  const uri = formatGlobusUri({ endpoint: inputs.endpoint, ref: { ...image, tag } });
  const record = await registry.record(uri, { signal });
  log.info(`${image.collection}/${image.name}:${tag} is version ${record.version}`);

  if (imageCache) {
    const key = cacheKey(image.collection, image.name, record.version);
    const hit = await imageCache.restore(stage, key);
    if (hit && (await fileSha256(stage)) === record.version) {
      log.info(`restored from the Actions cache (${key})`);
      return { ...record, status: 'cached' };
    }
    if (hit) log.warning(`The Actions cache entry ${key} did not hold version ${record.version}; downloading instead`);
    await rm(stage, { force: true });
  }

  const pinned = formatGlobusUri({ endpoint: inputs.endpoint, ref: { ...image, tag, version: record.version } });
  const pulled = await registry.pull(pinned, { signal });
  if (!pulled.image) throw new Error(`the registry returned no local file for ${pinned}`);
  await placeFile(pulled.image, stage);
  if (imageCache) await imageCache.save(stage, cacheKey(image.collection, image.name, pulled.version));
  return { ...pulled, status: 'pulled' };
}
