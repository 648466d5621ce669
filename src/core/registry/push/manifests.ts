/** The manifests a push writes, one per tag, all from the same moment. */
import { buildManifest, type Manifest } from '../../manifest.js';
import type { VersionedRef } from '../../uri.js';
import type { PushTarget } from './plan.js';

export function buildManifests(
  target: PushTarget,
  tags: readonly string[],
  version: string,
  created: Date,
): Map<string, Manifest> {
  const { labels, source, definition, signatures } = target;
  const out = new Map<string, Manifest>();
  for (const tag of tags) {
    const ref: VersionedRef = { collection: target.ref.collection, name: target.ref.name, tag, version };
    out.set(
      tag,
      buildManifest({
        endpoint: target.ep.id,
        ref,
        size: target.size,
        pushedBy: target.session.clientId,
        created,
        ...(source ? { source } : {}),
        ...(labels ? { labels } : {}),
        ...(definition ? { definition } : {}),
        ...(signatures.length > 0 ? { signatures } : {}),
      }),
    );
  }
  return out;
}
