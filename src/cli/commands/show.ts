/** Human renderings of the core's results, shared by the commands and the demo. */
import type { DeleteResult, ImageResult, ImageSignatures, LocalImage, PruneResult, ReplicateResult, SearchHit } from '../../index.js';
import { formatBytes, shortVersion, table } from '../output.js';

export function imageTable(results: ImageResult[]): string {
  if (results.length === 0) return '';
  return table(
    ['STATUS', 'IMAGE', 'VERSION', 'SIZE', 'VIA', 'URI'],
    results.map((r) => [r.status, `${r.collection}/${r.name}:${r.tag}`, shortVersion(r.version), formatBytes(r.size), r.transport ?? '-', r.uri]),
  );
}

export function imageDetails(r: ImageResult): string {
  const lines = [
    `${r.status} ${r.collection}/${r.name}:${r.tag}`,
    `  uri:      ${r.uri}`,
    `  version:  ${r.version}`,
    `  size:     ${formatBytes(r.size)} (${r.size} bytes)`,
    `  endpoint: ${r.endpoint}`,
    `  path:     ${r.path}`,
  ];
  if (r.image) lines.push(`  image:    ${r.image}`);
  if (r.httpsUrl) lines.push(`  https:    ${r.httpsUrl}`);
  if (r.transport) lines.push(`  via:      ${r.transport}${r.taskId ? ` (task ${r.taskId})` : ''}`);
  if (r.created) lines.push(`  created:  ${r.created}`);
  for (const [k, v] of Object.entries(r.labels ?? {})) lines.push(`  label:    ${k}=${v}`);
  lines.push(...signatureLines(r.signatures));
  return lines.join('\n') + '\n';
}

/** `signed:` lines: the image's status, then one line per signature (signer, what it covers, why not verified). */
export function signatureLines(s: ImageSignatures | undefined): string[] {
  if (!s) return [];
  const lines = [`  signed:   ${s.status === 'not-checked' ? 'not checked (the manifest lists the signers below)' : s.status}`];
  for (const sig of s.signatures) {
    const who = sig.fingerprint ? `${sig.fingerprint}${sig.userId ? ` ${sig.userId}` : ''}` : 'unknown signer';
    const covers = sig.objects ? ` (${sig.kind ?? 'group'} signature of object${sig.objects.length === 1 ? '' : 's'} ${sig.objects.join(', ')})` : '';
    lines.push(`  signer:   ${who}${sig.status ? ` ${sig.status}` : ''}${covers}${sig.reason ? `: ${sig.reason}` : ''}`);
  }
  if (s.unsigned && s.unsigned.length > 0) lines.push(`  unsigned: object${s.unsigned.length === 1 ? '' : 's'} ${s.unsigned.join(', ')}`);
  return lines;
}

export function searchTable(hits: SearchHit[]): string {
  if (hits.length === 0) return 'nothing found\n';
  const endpoints = hits.filter((h) => h.kind === 'endpoint' && h.endpoint);
  const images = hits.filter((h) => h.kind === 'image' && h.image);
  const parts: string[] = [];
  if (endpoints.length > 0) {
    parts.push(
      table(
        ['ENDPOINT', 'NAME', 'TYPE', 'HTTPS'],
        endpoints.map((h) => [h.endpoint!.id, h.endpoint!.displayName, h.endpoint!.entityType, h.endpoint!.httpsServer ?? '-']),
      ),
    );
  }
  if (images.length > 0) {
    parts.push(
      table(
        ['IMAGE', 'VERSION', 'SIZE', 'MODIFIED', 'URI'],
        images.map((h) => {
          const i = h.image!;
          return [`${i.collection}/${i.name}:${i.tag}`, shortVersion(i.version), i.size === undefined ? '-' : formatBytes(i.size), i.lastModified ?? '-', h.uri];
        }),
      ),
    );
  }
  return parts.join('\n');
}

export function deletedText(result: DeleteResult): string {
  const lines = result.deleted.map((uri) => `${result.dryRun ? 'would delete' : 'deleted'} ${uri}`);
  if (result.taskId) lines.push(`(Globus delete task ${result.taskId})`);
  return lines.join('\n') + '\n';
}

export function prunedText(result: PruneResult): string {
  const verb = result.dryRun ? 'would delete' : 'deleted';
  const lines = result.removed.map((r) => `${verb} ${r.path} (${r.kind})`);
  if (result.removed.length === 0) lines.push('nothing to prune');
  lines.push(`kept ${result.kept.length} version${result.kept.length === 1 ? '' : 's'}`);
  if (result.taskId) lines.push(`(Globus delete task ${result.taskId})`);
  return lines.join('\n') + '\n';
}

export function replicatedText(result: ReplicateResult): string {
  const lines = result.images.map((i) => `${i.status === 'exists' ? 'already there' : 'copied'} ${i.uri}`);
  lines.push(`${result.versionsCopied} version file${result.versionsCopied === 1 ? '' : 's'} and ${result.manifestsCopied} manifest${result.manifestsCopied === 1 ? '' : 's'} copied to ${result.destination}`);
  if (result.taskId) lines.push(`(Globus transfer task ${result.taskId})`);
  return lines.join('\n') + '\n';
}

export function localTable(images: LocalImage[]): string {
  if (images.length === 0) return 'no local records\n';
  return table(
    ['IMAGE', 'VERSION', 'CREATED', 'FILE'],
    images.map((i) => [`${i.collection}/${i.name}:${i.tag}`, shortVersion(i.version), i.createdAt ?? '-', i.image ?? '(record only)']),
  );
}

export function localDetails(i: LocalImage): string {
  const lines = [
    `${i.collection}/${i.name}:${i.tag}`,
    `  uri:      ${i.uri ?? '-'}`,
    `  version:  ${i.version ?? '-'}`,
    `  file:     ${i.image ?? '(record only, not pulled)'}`,
    `  url:      ${i.url ?? '-'}`,
    `  created:  ${i.createdAt ?? '-'}`,
  ];
  lines.push(...signatureLines(i.signatures));
  if (i.manifest !== undefined) lines.push('  manifest:', ...JSON.stringify(i.manifest, null, 2).split('\n').map((l) => `    ${l}`));
  return lines.join('\n') + '\n';
}

/** `-F unix` records. Images: status, collection/name:tag, version, size, local file, uri. */
export type Row = Array<string | number | null | undefined>;

export const imageRows = (results: ImageResult[]): Row[] =>
  results.map((r) => [r.status, `${r.collection}/${r.name}:${r.tag}`, r.version, r.size, r.image, r.uri]);

/** Local records: collection/name:tag, version, file, url, uri, created. */
export const localRows = (images: LocalImage[]): Row[] =>
  images.map((i) => [`${i.collection}/${i.name}:${i.tag}`, i.version, i.image, i.url, i.uri, i.createdAt]);

/** Hits: kind, then the endpoint id and name, or the image's collection/name:tag, version and size; the uri last. */
export const searchRows = (hits: SearchHit[]): Row[] =>
  hits.map((h) =>
    h.kind === 'endpoint' && h.endpoint
      ? ['endpoint', h.endpoint.id, h.endpoint.displayName, h.uri]
      : ['image', h.image ? `${h.image.collection}/${h.image.name}:${h.image.tag}` : '', h.image?.version, h.image?.size, h.uri],
  );

/** One deleted (or, with --dry-run, to-be-deleted) version per line. */
export const deletedRows = (result: DeleteResult): Row[] => result.deleted.map((uri) => [result.dryRun ? 'would-delete' : 'deleted', uri]);
