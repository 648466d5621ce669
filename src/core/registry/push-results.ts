/** What a push reports for each tag. */
import { imagePath } from '../layout.js';
import type { Manifest } from '../manifest.js';
import { formatGlobusUri, type VersionedRef } from '../uri.js';
import type { Plan } from './push-plan.js';
import { httpsTarget } from './session.js';
import type { ImageResult } from './types.js';

export function pushResult(
  plan: Plan,
  tag: string,
  version: string,
  status: 'pushed' | 'exists',
  taskId: string | undefined,
  manifest: Manifest | undefined,
): ImageResult {
  const ref: VersionedRef = { collection: plan.ref.collection, name: plan.ref.name, tag, version };
  const path = imagePath(plan.root, ref);
  const out: ImageResult = {
    uri: formatGlobusUri({ endpoint: plan.ep.id, ref }),
    collection: ref.collection,
    name: ref.name,
    tag,
    version,
    size: plan.size,
    sha256: version,
    path,
    endpoint: plan.ep.id,
    transport: plan.transport,
    status,
  };
  if (plan.ep.httpsServer) out.httpsUrl = plan.session.https.url(httpsTarget(plan.ep), path);
  if (taskId) out.taskId = taskId;
  if (manifest) {
    out.created = manifest.created;
    if (manifest.labels) out.labels = manifest.labels;
  }
  return out;
}
