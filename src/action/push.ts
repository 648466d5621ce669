/** command: push — the files the `images` globs match, each once, with every tag, and where they came from. */
import { realpath } from 'node:fs/promises';
import { relative } from 'node:path';
import * as glob from '@actions/glob';
import { SregistryError, formatGlobusUri, type ImageResult } from '../index.js';
import { pushTargets, type IfNoFilesFound, type RunContext } from './inputs.js';
import { setLifecycleOutputs, type Log } from './report.js';

export async function runPush(ctx: RunContext): Promise<ImageResult[]> {
  const { inputs, registry, log } = ctx;
  const files = await matchImages(inputs.images, inputs.ifNoFilesFound, log);
  const targets = pushTargets(files, inputs.name);
  const source = provenance(ctx.env);
  const [firstTag, ...moreTags] = inputs.tags as [string, ...string[]];
  const results: ImageResult[] = [];
  // The inputs as written go with the first push only: the core's case note is said once.
  let given = inputs.given;
  for (const target of targets) {
    const image = `${target.collection}/${target.name}`;
    const shown = relative(process.cwd(), target.file) || target.file;
    const uri = formatGlobusUri({
      endpoint: inputs.endpoint,
      ref: { collection: target.collection, name: target.name, tag: firstTag },
    });
    await log.group(`push ${shown} as ${image} (${inputs.tags.join(', ')})`, async () => {
      const started = Date.now();
      const out = await registry.push(target.file, uri, {
        tags: moreTags,
        source,
        signal: ctx.signal,
        ...(given ? { given } : {}),
        ...(inputs.anyFile ? { anyFile: true } : {}),
        ...(inputs.signingKey ? { signingKey: inputs.signingKey } : {}),
      });
      given = [];
      const ms = Date.now() - started;
      for (const r of out) {
        log.info(
          `${r.status === 'exists' ? 'already there' : r.status}: ${r.uri}${r.httpsUrl ? ` ${r.httpsUrl}` : ''}${r.taskId ? ` (task ${r.taskId})` : ''}`,
        );
        ctx.rows.push({ result: r, ms });
      }
      results.push(...out);
    });
  }
  await afterPush(ctx, [...new Set(targets.map((t) => `${t.collection}/${t.name}`))]);
  return results;
}

/** replicate-to, then keep: each pushed name copied to every other registry, then pruned here. */
async function afterPush(ctx: RunContext, names: string[]): Promise<void> {
  const { inputs, registry, log } = ctx;
  const replicas: string[] = [];
  const pruned: string[] = [];
  for (const image of names) {
    const here = `${formatGlobusUri({ endpoint: inputs.endpoint })}/${image}`;
    for (const destination of inputs.replicateTo) {
      await log.group(`replicate ${image} (${inputs.tags.join(', ')}) to ${destination}`, async () => {
        const done = await registry.replicate(here, destination, { tags: inputs.tags, signal: ctx.signal });
        for (const i of done.images) log.info(`${i.status === 'exists' ? 'already there' : 'copied'}: ${i.uri}`);
        log.info(
          `${done.versionsCopied} version file(s) and ${done.manifestsCopied} manifest(s) copied${done.taskId ? ` (task ${done.taskId})` : ''}`,
        );
        replicas.push(...done.images.map((i) => i.uri));
      });
    }
    if (inputs.keep !== undefined) {
      const keep = inputs.keep;
      await log.group(`prune ${image}, keeping the newest ${keep} and every tagged version`, async () => {
        const done = await registry.prune(here, { keep, signal: ctx.signal });
        for (const r of done.removed) log.info(`deleted ${r.path} (${r.kind})`);
        if (done.removed.length === 0) log.info('nothing to prune');
        pruned.push(...done.removed.map((r) => r.path));
      });
    }
  }
  setLifecycleOutputs(replicas, pruned);
}

/** Files (never folders) matching the patterns the way other Actions match paths, in match order, each once even when reached twice. */
export async function matchImages(patterns: string[], ifNone: IfNoFilesFound, log: Log): Promise<string[]> {
  const globber = await glob.create(patterns.join('\n'), { matchDirectories: false, implicitDescendants: false });
  const seen = new Set<string>();
  const files: string[] = [];
  for await (const file of globber.globGenerator()) {
    const real = await realpath(file);
    if (seen.has(real)) continue;
    seen.add(real);
    files.push(file);
  }
  if (files.length > 0) return files;
  const what = `No file matched images (${patterns.join(', ')})`;
  switch (ifNone) {
    case 'error':
      throw new SregistryError(
        'NOT_FOUND',
        `${what}: check the paths, which are relative to the workspace, and that the build step wrote the images; set if-no-files-found: warn or ignore to allow this`,
      );
    case 'warn':
      log.warning(`${what}; nothing was pushed`);
      return [];
    default:
      log.info(`${what}; nothing was pushed`);
      return [];
  }
}

/** Where a pushed image came from, for its manifest: the commit, the run and the workflow. */
export function provenance(env: NodeJS.ProcessEnv): Record<string, string> {
  const source: Record<string, string> = {};
  const put = (key: string, value: string | undefined): void => {
    if (value !== undefined && value !== '') source[key] = value;
  };
  put('git_sha', env.GITHUB_SHA);
  const server = env.GITHUB_SERVER_URL;
  const repository = env.GITHUB_REPOSITORY;
  const runId = env.GITHUB_RUN_ID;
  if (server && repository && runId)
    put('run_url', `${server.replace(/\/+$/, '')}/${repository}/actions/runs/${runId}`);
  put('repository', repository);
  put('ref', env.GITHUB_REF);
  put('workflow', env.GITHUB_WORKFLOW);
  return source;
}
