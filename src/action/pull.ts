/**
 * command: pull — every tag of one image into the pull-to folder. The version is resolved
 * first (a manifest read, no download, no record written), so the Actions cache can be asked for exactly that
 * version before any image byte moves. Downloads go to the core's storage under RUNNER_TEMP,
 * are linked into a staging folder in pull-to, and take their place only when all are there.
 */
import { randomUUID } from 'node:crypto';
import { copyFile, link, mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { formatGlobusUri, hashFile, isSregistryError, type ImageResult } from '../index.js';
import { actionsCache, cacheKey, type ImageCache } from './cache.js';
import { parseImageName, type ImageName, type RunContext } from './inputs.js';

/** `verified by <fingerprint> (<user id>), ...` or the status alone. */
const signatureLine = (s: NonNullable<ImageResult['signatures']>): string =>
  [
    s.status,
    ...s.signatures.map(
      (g) => `${g.fingerprint ?? 'unknown signer'}${g.userId ? ` (${g.userId})` : ''}${g.status ? ` ${g.status}` : ''}`,
    ),
  ].join(', ');

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
  // Tags naming a version fetched earlier in this run share its file: one download, one cache entry.
  const fetched = new Map<string, { stage: string; result: ImageResult }>();
  const results: ImageResult[] = [];
  try {
    for (const tag of inputs.tags) {
      const dest = join(folder, pulledFileName(image, tag));
      const stage = join(staging, pulledFileName(image, tag));
      await log.group(`pull ${image.collection}/${image.name}:${tag} to ${dest}`, async () => {
        const started = Date.now();
        const result = { ...(await fetchOne(ctx, image, tag, stage, imageCache, fetched)), image: dest };
        staged.push({ from: stage, to: dest });
        log.info(`${result.status}: ${result.uri} -> ${dest}`);
        if (result.signatures) log.info(`signatures: ${signatureLine(result.signatures)}`);
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

/**
 * One tag's image into `stage`: the file of an earlier tag of this run when it names the
 * same version, else from the Actions cache when it holds that version, else from Globus.
 */
async function fetchOne(
  ctx: RunContext,
  image: ImageName,
  tag: string,
  stage: string,
  imageCache: ImageCache | undefined,
  fetched: Map<string, { stage: string; result: ImageResult }>,
): Promise<ImageResult> {
  const { inputs, registry, log, signal } = ctx;
  const uri = formatGlobusUri({ endpoint: inputs.endpoint, ref: { ...image, tag } });
  // The inputs as written go with the first lookup only: the core's case note is said once.
  const given = fetched.size === 0 && tag === inputs.tags[0] ? inputs.given : undefined;
  const resolved = await registry.resolve(uri, { signal, ...(given ? { given } : {}) });
  log.info(`${image.collection}/${image.name}:${tag} is version ${resolved.version}`);

  const earlier = fetched.get(resolved.version);
  if (earlier) {
    await placeFile(earlier.stage, stage);
    log.info(`the same version as ${earlier.result.tag}, already ${earlier.result.status} in this run`);
    return { ...resolved, status: earlier.result.status };
  }
  const result = await fetchVersion(ctx, image, tag, stage, imageCache, resolved);
  fetched.set(resolved.version, { stage, result });
  return result;
}

async function fetchVersion(
  ctx: RunContext,
  image: ImageName,
  tag: string,
  stage: string,
  imageCache: ImageCache | undefined,
  resolved: ImageResult,
): Promise<ImageResult> {
  const { inputs, registry, log, signal } = ctx;

  if (imageCache) {
    const key = cacheKey(image.collection, image.name, resolved.version);
    const hit = await imageCache.restore(stage, key);
    if (hit && (await fileSha256(stage)) === resolved.version) {
      log.info(`restored from the Actions cache (${key})`);
      // The cached copy passed the policy of the run that saved it; this run's policy decides now.
      const signatures = await registry.verify(stage, { signal });
      return { ...resolved, status: 'cached', ...(signatures ? { signatures } : {}) };
    }
    if (hit)
      log.warning(`The Actions cache entry ${key} did not hold version ${resolved.version}; downloading instead`);
    await rm(stage, { force: true });
  }

  const pinned = formatGlobusUri({ endpoint: inputs.endpoint, ref: { ...image, tag, version: resolved.version } });
  const pulled = await registry.pull(pinned, { signal });
  if (!pulled.image) throw new Error(`the registry returned no local file for ${pinned}`);
  await placeFile(pulled.image, stage);
  if (imageCache) await imageCache.save(stage, cacheKey(image.collection, image.name, pulled.version));
  return { ...pulled, status: 'pulled' };
}

/**
 * Hard-links `source` to `dest` (copies when they are on different file systems), through a
 * hidden temp name in the destination folder and a rename, so `dest` is never half written.
 */
export async function placeFile(source: string, dest: string): Promise<void> {
  const dir = dirname(dest);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(dest)}.${randomUUID()}.partial`);
  try {
    try {
      await link(source, temp);
    } catch {
      await copyFile(source, temp);
    }
    await rename(temp, dest);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** SHA-256 of a file restored from the cache; undefined when the cache left none. */
async function fileSha256(file: string): Promise<string | undefined> {
  try {
    return (await hashFile(file)).sha256;
  } catch (err) {
    if (isSregistryError(err) && (err.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined;
    throw err;
  }
}
