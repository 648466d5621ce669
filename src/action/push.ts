/** command: push — every matched file, once, with every tag. */
import { relative } from 'node:path';
import { formatGlobusUri } from '../core/uri.js';
import type { Registry } from '../core/registry/registry.js';
import type { ImageResult } from '../core/registry/types.js';
import { matchImages } from './files.js';
import type { ActionInputs } from './inputs.js';
import type { Log } from './log.js';
import { pushTargets } from './names.js';
import { provenance } from './provenance.js';
import type { SummaryRow } from './summary.js';

export interface RunContext {
  inputs: ActionInputs;
  registry: Registry;
  log: Log;
  env: NodeJS.ProcessEnv;
  /** Filled as images finish, so a failure still reports what was done. */
  rows: SummaryRow[];
  signal: AbortSignal;
}

export async function runPush(ctx: RunContext): Promise<ImageResult[]> {
  const { inputs, registry, log } = ctx;
  const files = await matchImages(inputs.images, inputs.ifNoFilesFound, log);
  const targets = pushTargets(files, inputs.name);
  const source = provenance(ctx.env);
  const [firstTag, ...moreTags] = inputs.tags as [string, ...string[]];
  const results: ImageResult[] = [];
  for (const target of targets) {
    const image = `${target.collection}/${target.name}`;
    const shown = relative(process.cwd(), target.file) || target.file;
    const uri = formatGlobusUri({ endpoint: inputs.endpoint, ref: { collection: target.collection, name: target.name, tag: firstTag } });
    await log.group(`push ${shown} as ${image} (${inputs.tags.join(', ')})`, async () => {
      const started = Date.now();
      const out = await registry.push(target.file, uri, { tags: moreTags, source, signal: ctx.signal });
      const ms = Date.now() - started;
      for (const r of out) {
        log.info(`${r.status === 'exists' ? 'already there' : r.status}: ${r.uri}${r.httpsUrl ? ` ${r.httpsUrl}` : ''}${r.taskId ? ` (task ${r.taskId})` : ''}`);
        ctx.rows.push({ result: r, ms });
      }
      results.push(...out);
    });
  }
  return results;
}
