// Peak memory of the sandbox while a Transfer task moves a large file: a sparse 2 GiB
// file on the personal endpoint is copied to the guest collection (verify_checksum on, so
// it is read twice and hashed), then the sandbox process's high-water RSS (VmHWM) is read
// from /proc. Not part of the test suite. Run after `npm run build`:
//   node bench/sandbox-transfer-rss.mjs [--size-mib N] [--limit-mb N]
import { stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { numberOption } from './support/options.mjs';
import { runRssBench } from './support/rss-bench.mjs';
import { clientCredentialsToken } from './support/token.mjs';

const SIZE = numberOption('--size-mib', 2048) * 1024 * 1024;
const LIMIT_MB = numberOption('--limit-mb', 200);
const TRANSFER_SCOPE = 'urn:globus:auth:scope:transfer.api.globus.org:all';

/** Origin, credentials, the personal endpoint and the guest collection from the start line. */
function readStartInfo(info) {
  if (!info || typeof info !== 'object') return undefined;
  const origin = info.url ?? info.auth_url;
  const endpoints = info.endpoints ?? [];
  const personal = endpoints.find((e) => Array.isArray(e.config_paths));
  const collection = endpoints.find((e) => e.folder && !Array.isArray(e.config_paths));
  if (!origin || !info.client_id || !info.client_secret || !personal || !collection) return undefined;
  return {
    origin,
    clientId: info.client_id,
    clientSecret: info.client_secret,
    personalId: personal.id,
    collectionId: collection.id,
    folder: collection.folder,
  };
}

async function transferApi(origin, token, method, path, body) {
  const res = await fetch(new URL(`/v0.10/${path}`, origin), {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = await res.json();
  if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

await runRssBench(
  { tmpPrefix: 'sandbox-transfer-rss-', readStartInfo, limitMb: LIMIT_MB },
  async ({ start, dataDir }) => {
    // The data folder is one of the personal endpoint's config-paths, and a sparse file costs no disk.
    const source = join(dataDir, 'rss-source.bin');
    await writeFile(source, '');
    await truncate(source, SIZE);
    const token = await clientCredentialsToken(start, TRANSFER_SCOPE);
    const { value: submissionId } = await transferApi(start.origin, token, 'GET', 'submission_id');
    const began = Date.now();
    const submitted = await transferApi(start.origin, token, 'POST', 'transfer', {
      DATA_TYPE: 'transfer',
      submission_id: submissionId,
      source_endpoint: start.personalId,
      destination_endpoint: start.collectionId,
      verify_checksum: true,
      DATA: [{ DATA_TYPE: 'transfer_item', source_path: source, destination_path: '/rss-bench.bin' }],
    });
    let task;
    for (;;) {
      task = await transferApi(start.origin, token, 'GET', `task/${submitted.task_id}`);
      if (task.status !== 'ACTIVE') break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const seconds = (Date.now() - began) / 1000;
    const landed = await stat(join(start.folder, 'rss-bench.bin')).catch(() => undefined);
    const ok = task.status === 'SUCCEEDED' && landed?.size === SIZE && task.bytes_transferred === SIZE;
    console.log(
      `task ${task.status}: ${task.bytes_transferred} bytes in ${seconds.toFixed(1)} s (${task.effective_bytes_per_second} B/s)${task.fatal_error ? `, ${task.fatal_error.code}` : ''}`,
    );
    return ok;
  },
);
