/** The manifests a push writes, one per tag, all from the same moment. */
import { buildManifest, type Manifest } from '../manifest.js';
import type { VersionedRef } from '../uri.js';
import type { Plan } from './push-plan.js';

export function buildManifests(plan: Plan, tags: string[], version: string, created: Date): Map<string, Manifest> {
  const { labels, source } = plan;
  const out = new Map<string, Manifest>();
  for (const tag of tags) {
    const ref: VersionedRef = { collection: plan.ref.collection, name: plan.ref.name, tag, version };
    out.set(
      tag,
      buildManifest({
        endpoint: plan.ep.id,
        ref,
        size: plan.size,
        pushedBy: plan.session.clientId,
        created,
        ...(source ? { source } : {}),
        ...(labels ? { labels } : {}),
        ...(plan.definition ? { definition: plan.definition } : {}),
      }),
    );
  }
  return out;
}
