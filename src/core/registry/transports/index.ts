/**
 * The transports, registered: a new one is a module (or folder) beside these and one entry
 * here. The CLI's `--transport`, the Action's `transport` input, the Node-RED selects and
 * `auto` all read this list; docs/architecture.md, "Adding a transport".
 */
import type { TransportBackend } from './backend.js';
import { https } from './https.js';
import { transfer } from './transfer.js';

export const BACKENDS: readonly TransportBackend[] = [https, transfer];
