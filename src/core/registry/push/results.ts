/** What a push reports for each tag. */
import type { Manifest } from '../../manifest.js';
import { formatGlobusUri, type VersionedRef } from '../../uri.js';
import { imageDestination, type PushTarget } from './plan.js';
import { httpsTarget } from '../session.js';
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
  const path = imageDestination(target, tag, version);
  const out: ImageResult = {
    uri: formatGlobusUri({ endpoint: target.ep.id, ref }),
    collection: ref.collection,
    name: ref.name,
    tag,
    version,
    size: target.size,
    sha256: version,
    path,
    endpoint: target.ep.id,
    transport: target.transport,
    status,
  };
  if (target.ep.httpsServer) out.httpsUrl = target.session.https.url(httpsTarget(target.ep), path);
  if (taskId) out.taskId = taskId;
  if (manifest) {
    out.created = manifest.created;
    if (manifest.labels) out.labels = manifest.labels;
  }
  return out;
}
