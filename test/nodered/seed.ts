/** Images put into a test sandbox's registry with the core itself, for the nodes to find. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from '../../src/core/registry/registry.js';
import type { ImageResult } from '../../src/core/registry/types.js';
import type { TestSandbox } from '../support/sandbox.js';
import { imageBytes } from '../support/files.js';

/** A local file of `size` random bytes (behind the SIF magic) in the sandbox's temp folder. */
export async function randomFile(sb: TestSandbox, name: string, size: number): Promise<string> {
  const file = join(sb.tmp, name);
  await writeFile(file, imageBytes(size));
  return file;
}

/** Pushes `size` random bytes as `ref` (`collection/name:tag`) to the sandbox collection. */
export async function seedImage(sb: TestSandbox, ref: string, size = 64 * 1024): Promise<ImageResult> {
  const file = await randomFile(sb, `seed-${ref.replace(/[^a-z0-9]/g, '-')}.sif`, size);
  const registry = new Registry({
    globus: {
      clientId: sb.client.id,
      clientSecret: sb.client.secret,
      authUrl: `${sb.url}/`,
      transferUrl: `${sb.url}/`,
    },
    transport: 'https',
    storage: join(sb.tmp, 'seed-storage'),
    database: join(sb.tmp, 'seed.db'),
  });
  try {
    const [result] = await registry.push(file, `globus://${sb.collection.id}/${ref}`);
    if (!result) throw new Error(`push of ${ref} returned nothing`);
    return result;
  } finally {
    await registry.close();
  }
}
