/**
 * Where the sandbox's world comes from: an optional JSON config file (clients, endpoints,
 * permissions, token lifetime) and `<data>/sandbox.json`, the world of the last start,
 * which keeps ids, secrets and the admin token stable across restarts.
 */
import { mkdir } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { readConfigFile } from './config-file.js';
import type { SandboxWorld } from '../model.js';
import { buildWorld } from './world-from-config.js';
import { personalFolder } from './default-world.js';
import { readSavedWorld, saveWorld } from './world-file.js';

export interface LoadOptions {
  dataDir: string;
  configFile?: string;
  home?: string;
  /** Folders the default personal endpoint reaches besides its own (`--share`). */
  shared?: readonly string[];
}

/**
 * The world for a start: from the config when one is given (keeping ids of the last
 * start), else the saved world, else the default one. Saves it to `<data>/sandbox.json`
 * (mode 0600: it holds secrets) and creates the collections' root folders.
 */
export async function loadWorld({ dataDir, configFile, home, shared }: LoadOptions): Promise<SandboxWorld> {
  const saved = await readSavedWorld(dataDir);
  const options = { dataDir, ...(home ? { home } : {}), ...(shared?.length ? { shared } : {}) };
  let world: SandboxWorld;
  if (configFile)
    world = buildWorld(await readConfigFile(configFile), { ...options, ...(saved ? { previous: saved } : {}) });
  // --share changes what the personal endpoint reaches, and a world saved by an older
  // version may share the home and temp folders by default: rebuilt, ids and secrets kept.
  else if (saved && (shared?.length || sharesOldDefaults(saved, dataDir)))
    world = buildWorld({}, { ...options, previous: saved });
  else world = saved ?? buildWorld({}, options);
  await saveWorld(dataDir, world);
  for (const e of world.endpoints) if (e.root) await mkdir(e.root, { recursive: true });
  // The personal endpoint's own folder (it holds what clients transfer to this machine).
  const own = personalFolder(dataDir);
  if (world.endpoints.some((e) => e.configPaths?.some((c) => c.path === own)))
    await mkdir(own, { recursive: true, mode: 0o700 });
  return world;
}

/** The personal endpoint of an older default world: the user's home, the temp folder and the data folder. */
function sharesOldDefaults(world: SandboxWorld, dataDir: string): boolean {
  const old = [homedir(), tmpdir(), dataDir].sort().join('\n');
  return world.endpoints.some(
    (e) =>
      e.configPaths !== undefined &&
      e.configPaths
        .map((c) => c.path)
        .sort()
        .join('\n') === old,
  );
}
