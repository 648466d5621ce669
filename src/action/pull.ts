/**
 * command: pull — every tag of one image into the pull-to folder. The version is resolved
 * first (a manifest read, no download), so the Actions cache can be asked for exactly that
 * version before any image byte moves. Downloads go to the core's storage under RUNNER_TEMP
 * and are then linked into pull-to.
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

export async function runPull(ctx: RunContext): Promise<ImageResult[]> {
  const { inputs, log } = ctx;
  const image = parseImageName(inputs.name);
  const folder = resolve(ctx.env.GITHUB_WORKSPACE || process.cwd(), inputs.pullTo);
  const imageCache = actionsCache(inputs.cache, log);
  const placed: string[] = [];
  const results: ImageResult[] = [];
  try {
    for (const tag of inputs.tags) {
      const dest = join(folder, pulledFileName(image, tag));
      await log.group(`pull ${image.collection}/${image.name}:${tag} to ${dest}`, async () => {
        const started = Date.now();
        const result = await pullOne(ctx, image, tag, dest, imageCache, placed);
        log.info(`${result.status}: ${result.uri} -> ${dest}`);
        ctx.rows.push({ result, ms: Date.now() - started });
        results.push(result);
      });
    }
  } catch (err) {
    // All or nothing: a failed run leaves no image it placed behind.
    await Promise.all(placed.map((file) => rm(file, { force: true })));
    throw err;
  }
  return results;
}

async function pullOne(ctx: RunContext, image: ImageName, tag: string, dest: string, imageCache: ImageCache | undefined, placed: string[]): Promise<ImageResult> {
  const { inputs, registry, log, signal } = ctx;
  const uri = formatGlobusUri({ endpoint: inputs.endpoint, ref: { ...image, tag } });
  const record = await registry.record(uri, { signal });
  log.info(`${image.collection}/${image.name}:${tag} is version ${record.version}`);

  placed.push(dest);
  if (imageCache) {
    const key = cacheKey(image.collection, image.name, record.version);
    await rm(dest, { force: true });
    const hit = await imageCache.restore(dest, key);
    if (hit && (await fileSha256(dest)) === record.version) {
      log.info(`restored from the Actions cache (${key})`);
      return { ...record, image: dest, status: 'cached' };
    }
    if (hit) log.warning(`The Actions cache entry ${key} did not hold version ${record.version}; downloading instead`);
    await rm(dest, { force: true });
  }

  const pinned = formatGlobusUri({ endpoint: inputs.endpoint, ref: { ...image, tag, version: record.version } });
  const pulled = await registry.pull(pinned, { signal });
  if (!pulled.image) throw new Error(`the registry returned no local file for ${pinned}`);
  await placeFile(pulled.image, dest);
  if (imageCache) await imageCache.save(dest, cacheKey(image.collection, image.name, pulled.version));
  return { ...pulled, image: dest, status: 'pulled' };
}
