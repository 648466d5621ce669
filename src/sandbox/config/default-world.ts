import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DEFAULT_BEHAVIOUR } from '../behaviour.js';
import type { SandboxWorld } from '../model.js';

export interface DefaultWorldOptions {
  dataDir: string;
  /** Home folder of the personal endpoint (`/~/`); `<dataDir>/personal` by default. */
  home?: string;
  /** More folders of this machine the personal endpoint reaches, read-write (`--share`). */
  shared?: readonly string[];
}

/** The personal endpoint's own folder: all it reaches unless more are shared. */
export const personalFolder = (dataDir: string): string => join(dataDir, 'personal');

/**
 * The default world: one confidential client owning a personal endpoint (like Globus
 * Connect Personal on Linux: the machine's own paths, limited to its config-paths, here
 * `<dataDir>/personal` and the folders shared on purpose; never the user's home or the
 * temp folder, since the client secret is printed and ends up in logs) and a GCSv5 guest
 * collection served over HTTPS whose root is `<dataDir>/collections/<id>`.
 */
export function defaultWorld({
  dataDir,
  home = personalFolder(dataDir),
  shared = [],
}: DefaultWorldOptions): SandboxWorld {
  const client = { id: randomUUID(), secret: newClientSecret(), name: 'sandbox-client' };
  const collectionId = randomUUID();
  return {
    behaviour: { ...DEFAULT_BEHAVIOUR },
    tokenLifetime: 172800,
    adminToken: randomBytes(24).toString('base64url'),
    clients: [client],
    endpoints: [
      {
        id: randomUUID(),
        displayName: 'sandbox-personal',
        entityType: 'GCP_mapped_collection',
        description: 'Sandbox personal endpoint (Globus Connect Personal on this machine)',
        owner: client.id,
        home,
        configPaths: [
          { path: home, shareable: false, writable: true },
          ...shared.map((path) => ({ path, shareable: false, writable: true })),
        ],
        https: false,
        highAssurance: false,
        public: false,
        permissions: [],
      },
      {
        id: collectionId,
        displayName: 'sandbox-collection',
        entityType: 'GCSv5_guest_collection',
        description: 'Sandbox guest collection served over HTTPS',
        owner: client.id,
        root: join(dataDir, 'collections', collectionId),
        https: true,
        highAssurance: false,
        public: false,
        permissions: [],
      },
    ],
  };
}

/** A client secret shaped like Globus's: 44 characters of base64 (32 random bytes), so `+`, `/` and `=` occur. */
export const newClientSecret = (): string => randomBytes(32).toString('base64');
