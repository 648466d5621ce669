/** What a push reports for each tag. */
import type { Manifest } from '../../manifest.js';
import type { VersionedRef } from '../../uri.js';
import { imageDestination, type PushTarget } from './plan.js';
import { buildImageResult } from '../image-result.js';
import type { ImageResult } from '../types.js';

export function pushResult(
  target: PushTarget,
  tag: string,
  version: string,
  status: 'pushed' | 'exists',
  taskId: string | undefined,
  manifest: Manifest | undefined,
): ImageResult {
  const ref: VersionedRef = { collection: target.ref.collection, name: target.ref.name, tag, version };
  const facts = {
    ep: target.ep,
    ref,
    path: imageDestination(target, tag, version),
    size: target.size,
    status,
    manifest,
  };
  const signatures =
    target.signatures.length > 0
      ? { status: 'not-checked' as const, signatures: target.signatures.map((fingerprint) => ({ fingerprint })) }
      : undefined;
  return buildImageResult(target.session, facts, {
    transport: target.backend.name,
    ...(taskId ? { taskId } : {}),
    ...(signatures ? { signatures } : {}),
  });
}
