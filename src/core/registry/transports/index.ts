/**
 * The transports, registered: a new one is a folder beside these (its descriptor in
 * `index.ts`, its moves loaded on first use) and one entry here. The CLI's `--transport`,
 * the Action's `transport` input, the Node-RED selects and `auto` all read this list,
 * which loads no HTTP client, SQLite or Transfer API (src/rules.ts and the build reach it);
 * docs/architecture.md, "Adding a transport".
 */
import type { TransportBackend } from './backend.js';
import { https } from './https/index.js';
import { transfer } from './transfer/index.js';

export const BACKENDS: readonly TransportBackend[] = [https, transfer];
