/**
 * Where the sandbox's world comes from: an optional JSON config file (clients, endpoints,
 * permissions, token lifetime) and `<data>/sandbox.json`, the world of the last start,
 * which keeps ids, secrets and the admin token stable across restarts.
 */
import { mkdir } from 'node:fs/promises';
import { readConfigFile } from './config-file.js';
import type { SandboxWorld } from './model.js';
import { buildWorld } from './world-from-config.js';
import { readSavedWorld, saveWorld } from './world-file.js';

export interface LoadOptions {
  dataDir: string;
  configFile?: string;
  home?: string;
}

/**
 * The world for a start: from the config when one is given (keeping ids of the last
 * start), else the saved world, else the default one. Saves it to `<data>/sandbox.json`
 * (mode 0600: it holds secrets) and creates the collections' root folders.
 */
export async function loadWorld({ dataDir, configFile, home }: LoadOptions): Promise<SandboxWorld> {
  const saved = await readSavedWorld(dataDir);
  let world: SandboxWorld;
  if (configFile) world = buildWorld(await readConfigFile(configFile), { dataDir, ...(saved ? { previous: saved } : {}), ...(home ? { home } : {}) });
  else world = saved ?? buildWorld({}, { dataDir, ...(home ? { home } : {}) });
  await saveWorld(dataDir, world);
  for (const e of world.endpoints) if (e.root) await mkdir(e.root, { recursive: true });
  return world;
}
