// Where a pull's memory goes: one sandbox, one file, then GETs of it by
// bench/support/exchange-probe.mjs under several sinks and node flags (each its own
// process), printing peak RSS next to the peaks of V8's heap and of external/ArrayBuffer
// memory, GC counts and CPU. Run after `npm run build`:
//   node bench/pull-memory.mjs [--size-mib N] [--runs N]
//   PROBE_VARIANTS='none:;copy:;download:--max-semi-space-size=2' to choose the variants
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { numberOption } from './support/options.mjs';
import { startSandboxChild, stopChild } from './support/sandbox-child.mjs';
import { clientCredentialsToken } from './support/token.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
const MiB = 1024 * 1024;
const SIZE = numberOption('--size-mib', 512) * MiB;
const RUNS = numberOption('--runs', 2);
const variants = (
  process.env.PROBE_VARIANTS ??
  'none:;copy:;download:;download:--max-semi-space-size=2;download:--max-semi-space-size=8'
)
  .split(';')
  .map((v) => {
    const [sink, flags] = v.split(':');
    return { sink, flags: flags ? flags.split(' ') : [] };
  });

const tmp = await mkdtemp(join(tmpdir(), 'sregistry-pullmem-'));
let sandbox;
try {
  const { child, start } = await startSandboxChild(join(tmp, 'sandbox'), (info) =>
    info?.url && info.endpoints?.some((e) => e.https_server) ? info : undefined,
  );
  sandbox = child;
  const collection = start.endpoints.find((e) => e.https_server);
  const token = await clientCredentialsToken(
    { origin: start.url, clientId: start.client_id, clientSecret: start.client_secret },
    `https://auth.globus.org/scopes/${collection.id}/https`,
  );
  await mkdir(collection.folder, { recursive: true });
  const handle = await open(join(collection.folder, 'probe.bin'), 'w');
  const block = Buffer.alloc(4 * MiB);
  for (let at = 0; at < SIZE; at += block.length) {
    for (let j = 0; j < block.length; j += 4) block.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, j);
    await handle.write(block, 0, Math.min(block.length, SIZE - at), at);
  }
  await handle.close();
  const url = `${collection.https_server}/probe.bin`;
  for (let r = 0; r < RUNS; r++) {
    for (const v of variants) {
      const out = await new Promise((resolve, reject) => {
        const p = spawn(
          process.execPath,
          [
            ...v.flags,
            join(repo, 'bench/support/exchange-probe.mjs'),
            url,
            token,
            v.sink,
            join(tmp, 'got.bin'),
            String(SIZE),
          ],
          { stdio: ['ignore', 'pipe', 'inherit'] },
        );
        let s = '';
        p.stdout.on('data', (c) => (s += c));
        p.on('exit', (code) => (code === 0 ? resolve(s.trim()) : reject(new Error(`probe exited ${code}`))));
      });
      await rm(join(tmp, 'got.bin'), { force: true });
      console.log(`${v.flags.join(' ') || '(default)'} ${out}`);
    }
  }
} finally {
  if (sandbox) await stopChild(sandbox);
  await rm(tmp, { recursive: true, force: true });
}
