/**
 * push: a local file to `globus://<endpoint>/<collection>/<name>[:<tag>]`, as one story.
 *
 * 1. Plan (`plan.ts`): endpoint, transport, registry root, and the image folder's listing.
 *    The file is hashed first only when that listing could already hold it (or over
 *    Transfer, where names are chosen before the task runs); otherwise the HTTPS upload
 *    hashes it in the same pass, so the file is read once.
 * 2. Decide from the listing what each tag still needs: nothing (it names this version
 *    already), only its manifest (the image file is there), or the image too.
 * 3. Publish by the registry's layout: `layout2.ts` (one version file, one small manifest
 *    per tag) or `layout1.ts` (a copy per tag, more tags by one server-side copy task).
 *    The image goes up once (`send-each.ts` file by file, or `send-batch.ts` all in one
 *    unit when the transport batches), the manifests last (a version
 *    is complete only once a manifest names it). Every file goes up hidden and is
 *    revealed by rename (`staging.ts`).
 * 4. On failure the staging removes what this push hid or published without a manifest;
 *    on success it sweeps what earlier, dead pushes left behind.
 * 5. Read the tags back (`read-back.ts`): a tag that does not name what was pushed (a
 *    later push won it, or this clock is far ahead) is a CONFLICT, not "pushed".
 *
 * With a signing key, what goes up is a signed copy of the file (`signing.ts`); with
 * `requireSigned`, an image whose signatures do not cover it whole is refused first.
 */
import { readFolder } from '../../versions.js';
import type { Session } from '../session.js';
import type { ImageResult, PushOptions } from '../types.js';
import { publishLayout1 } from './layout1.js';
import { publishLayout2 } from './layout2.js';
import { checkImageFile, hashFirstIfNeeded, planPush } from './plan.js';
import { readBackTags } from './read-back.js';
import { Staging, staleUploads } from './staging.js';
import { requireSigned, requireSignedGate, signedCopy } from './signing.js';

export async function push(
  session: Session,
  file: string,
  uriText: string,
  opts: PushOptions = {},
): Promise<ImageResult[]> {
  const gate = opts.requireSigned ? await requireSignedGate(session) : undefined;
  // A file that is not a SIF image is refused as such, before any signing is tried on it.
  if (opts.signingKey) await checkImageFile(file, opts.anyFile === true);
  const signed = opts.signingKey ? await signedCopy(session, file, opts.signingKey, opts.signal) : undefined;
  try {
    const upload = signed?.file ?? file;
    if (gate) await requireSigned(gate, upload, file, opts.signal);
    return await pushFile(session, upload, uriText, opts);
  } finally {
    await signed?.discard();
  }
}

async function pushFile(session: Session, file: string, uriText: string, opts: PushOptions): Promise<ImageResult[]> {
  const planned = await planPush(session, file, uriText, opts);
  const { target, folder, entries } = planned;
  const version = await hashFirstIfNeeded(
    target,
    readFolder(entries ?? []).files.map((f) => f.size),
  );
  const staging = new Staging(target);
  let results: ImageResult[];
  try {
    const publish = target.layout === 2 ? publishLayout2 : publishLayout1;
    results = await publish(target, staging, planned, version);
  } catch (err) {
    await staging.abandon();
    throw err;
  }
  await staging.sweep(staleUploads(folder, entries ?? [], Date.now()));
  await readBackTags(target, staging, folder, results);
  return results;
}
