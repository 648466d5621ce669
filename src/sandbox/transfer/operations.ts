import type { Router } from '../http.js';
import type { SandboxContext } from '../context.js';

/** STUB: filled in by its owner. */
export function operationRoutes(_router: Router, _ctx: SandboxContext): void {}
