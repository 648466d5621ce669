/** Human renderings of the core's results, shared by the commands and the demo. */
import { homedir } from 'node:os';
import type {
  DeleteResult,
  ImageResult,
  ImageSignatures,
  LocalImage,
  PruneResult,
  ReplicateResult,
  SearchHit,
} from '../../index.js';
import { displayLine } from '../../index.js';
import { formatBytes, formatTime, shortVersion, table } from '../output.js';

/** Under each table whose cells are shortened: where the full values are. */
export const FULL_VALUES = '(full versions and URIs: -F json or -F unix)';

/** A path under the home folder written from `~`, as shells show it (tables only; -F json and unix keep it whole). */
function homeAsTilde(path: string): string {
  const home = homedir();
  return home && home !== '/' && path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}

/** The registry the rows live in, said once instead of in every row. */
const registryOf = (uris: string[]): string | undefined => {
  const roots = [
    ...new Set(uris.map((u) => /^globus:\/\/[^/]+/.exec(u)?.[0]).filter((r): r is string => r !== undefined)),
  ];
  return roots.length === 1 ? roots[0] : undefined;
};

export function imageTable(results: ImageResult[]): string {
  if (results.length === 0) return '';
  const where = registryOf(results.map((r) => r.uri));
  return (
    table(
      ['STATUS', 'IMAGE', 'VERSION', 'SIZE', 'VIA'],
      results.map((r) => [
        r.status,
        `${r.collection}/${r.name}:${r.tag}`,
        shortVersion(r.version),
        formatBytes(r.size),
        r.transport ?? '-',
      ]),
      { right: [3], shrink: [1] },
    ) + `${where ? `on ${where} ` : ''}${FULL_VALUES}\n`
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
  if (r.created) lines.push(`  created:  ${formatTime(r.created)}`);
  for (const [k, v] of Object.entries(r.labels ?? {})) lines.push(`  label:    ${k}=${v}`);
  lines.push(...signatureLines(r.signatures));
  // Labels, paths and times come from a registry: each field shows escaped, on its line.
  return lines.map(displayLine).join('\n') + '\n';
}

/** `signed:` lines: the image's status, then one line per signature (signer, what it covers, why not verified). */
export function signatureLines(s: ImageSignatures | undefined): string[] {
  if (!s) return [];
  const lines = [
    `  signed:   ${s.status === 'not-checked' ? 'not checked (the manifest lists the signers below)' : s.status}`,
  ];
  for (const sig of s.signatures) {
    // A fingerprint no keyring key proved is only what the image claims.
    const claimed = sig.fingerprintProven === false && sig.fingerprint ? ' (claimed by the image, unproven)' : '';
    const who = sig.fingerprint
      ? `${sig.fingerprint}${sig.userId ? ` ${sig.userId}` : ''}${claimed}`
      : 'unknown signer';
    const covers = sig.objects
      ? ` (${sig.kind ?? 'group'} signature of object${sig.objects.length === 1 ? '' : 's'} ${sig.objects.join(', ')})`
      : '';
    lines.push(
      `  signer:   ${who}${sig.status ? ` ${sig.status}` : ''}${covers}${sig.reason ? `: ${sig.reason}` : ''}`,
    );
  }
  if (s.problem) lines.push(`  problem:  ${s.problem}`);
  if (s.unsigned && s.unsigned.length > 0)
    lines.push(`  unsigned: object${s.unsigned.length === 1 ? '' : 's'} ${s.unsigned.join(', ')}`);
  return lines;
}

export function searchTable(hits: SearchHit[], query?: string, endpoint?: string): string {
  if (hits.length === 0) {
    if (endpoint !== undefined)
      return `nothing found: no image in that registry has a name containing ${JSON.stringify(query ?? '')}\n`;
    return (
      `nothing found: no endpoint the client can see matches ${JSON.stringify(query ?? '')}.\n` +
      'Without --endpoint, search looks for endpoints; to list the images of a registry, name its collection:\n' +
      `  sregistry-globus search ${query ? `${query} ` : ''}--endpoint <collection UUID or display name>\n`
    );
  }
  const endpoints = hits.filter((h) => h.kind === 'endpoint' && h.endpoint);
  const images = hits.filter((h) => h.kind === 'image' && h.image);
  const parts: string[] = [];
  if (endpoints.length > 0) {
    parts.push(
      table(
        ['ENDPOINT', 'NAME', 'TYPE', 'HTTPS'],
        endpoints.map((h) => [
          h.endpoint!.id,
          h.endpoint!.displayName,
          h.endpoint!.entityType,
          h.endpoint!.httpsServer ?? '-',
        ]),
        { shrink: [1, 3] },
      ),
    );
  }
  if (images.length > 0) {
    const where = registryOf(images.map((h) => h.uri));
    parts.push(
      table(
        ['IMAGE', 'VERSION', 'SIZE', 'MODIFIED'],
        images.map((h) => {
          const i = h.image!;
          return [
            `${i.collection}/${i.name}:${i.tag}`,
            shortVersion(i.version),
            i.size === undefined ? '-' : formatBytes(i.size),
            formatTime(i.lastModified),
          ];
        }),
        { right: [2], shrink: [0] },
      ) + `${where ? `on ${where} ` : ''}${FULL_VALUES}\n`,
    );
  }
  return parts.join('\n');
}

/** Each version with what happens to its manifest and its bytes, then (dry run) the rule and that nothing was deleted. */
export function deletedText(result: DeleteResult): string {
  const verb = result.dryRun ? 'would delete' : 'deleted';
  const lines = result.deleted.map((uri) => {
    const version = /@([0-9a-f]{64})$/.exec(uri)?.[1];
    const file = (result.imageFiles ?? []).find((f) => f.version === version);
    const bytes = !file
      ? ''
      : file.deleted
        ? ': its manifest and its image file (the bytes)'
        : `: its manifest only; the image file stays, still tagged ${file.keptFor.join(', ')}`;
    return `${verb} ${uri}${bytes}`;
  });
  if (result.dryRun) {
    lines.push(
      "dry run: nothing was deleted. The rule: a tag's manifests go, and each image file that no other tag names afterwards; local copies and records stay (see rm).",
    );
  }
  if (result.taskId) lines.push(`(Globus delete task ${result.taskId})`);
  return lines.join('\n') + '\n';
}

/** What goes (and whether its bytes go), what stays and why, and the rule that decided it. */
export function prunedText(result: PruneResult, keep?: number): string {
  const verb = result.dryRun ? 'would delete' : 'deleted';
  const lines = result.removed.map((r) => `${verb} ${r.path} (${r.kind})`);
  if (result.removed.length === 0)
    lines.push(result.dryRun ? 'nothing to prune: nothing would be deleted' : 'nothing to prune');
  const tagged = result.kept.filter((k) => k.tags.length > 0);
  const newest = result.kept.length - tagged.length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  lines.push(
    `${result.dryRun ? 'would keep' : 'kept'} ${plural(result.kept.length, 'version')}: ${tagged.length} named by a tag, ${newest} more as the newest`,
  );
  for (const k of result.kept)
    lines.push(
      `  ${k.collection}/${k.name}@${shortVersion(k.version)}  ${k.tags.length > 0 ? `tagged ${k.tags.join(', ')}` : 'one of the newest'}`,
    );
  lines.push(
    `The rule: every version a tag names now is kept, then the newest ${keep ?? 'N'} others of each name (--keep); the rest go, image file (the bytes) and manifests, in one Globus delete task.`,
  );
  if (result.dryRun) lines.push('dry run: nothing was deleted.');
  if (result.taskId) lines.push(`(Globus delete task ${result.taskId})`);
  return lines.join('\n') + '\n';
}

export function replicatedText(result: ReplicateResult): string {
  const lines = result.images.map((i) => `${i.status === 'exists' ? 'already there' : 'copied'} ${i.uri}`);
  lines.push(
    `${result.versionsCopied} version file${result.versionsCopied === 1 ? '' : 's'} and ${result.manifestsCopied} manifest${result.manifestsCopied === 1 ? '' : 's'} copied to ${result.destination}`,
  );
  if (result.taskId) lines.push(`(Globus transfer task ${result.taskId})`);
  return lines.join('\n') + '\n';
}

export function localTable(images: LocalImage[]): string {
  if (images.length === 0) return 'no local records\n';
  return (
    table(
      ['IMAGE', 'VERSION', 'CREATED', 'FILE'],
      images.map((i) => [
        `${i.collection}/${i.name}:${i.tag}`,
        shortVersion(i.version),
        formatTime(i.createdAt),
        i.image ? homeAsTilde(i.image) : '(record only)',
      ]),
      { shrink: [3, 0], keepEnd: [3] },
    ) + '(full versions and paths: -F json or -F unix; one file: sregistry-globus get <image>)\n'
  );
}

export function localDetails(i: LocalImage): string {
  const lines = [
    `${i.collection}/${i.name}:${i.tag}`,
    `  uri:      ${i.uri ?? '-'}`,
    `  version:  ${i.version ?? '-'}`,
    `  file:     ${i.image ?? '(record only, not pulled)'}`,
    `  url:      ${i.url ?? '-'}`,
    `  created:  ${formatTime(i.createdAt)}`,
  ];
  lines.push(...signatureLines(i.signatures));
  if (i.manifest !== undefined)
    lines.push(
      '  manifest:',
      ...JSON.stringify(i.manifest, null, 2)
        .split('\n')
        .map((l) => `    ${l}`),
    );
  // The manifest came from a registry: JSON escapes C0 controls, not C1 or bidi controls.
  return lines.map(displayLine).join('\n') + '\n';
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
      : [
          'image',
          h.image ? `${h.image.collection}/${h.image.name}:${h.image.tag}` : '',
          h.image?.version,
          h.image?.size,
          h.uri,
        ],
  );

/** One deleted (or, with --dry-run, to-be-deleted) version per line. */
export const deletedRows = (result: DeleteResult): Row[] =>
  result.deleted.map((uri) => [result.dryRun ? 'would-delete' : 'deleted', uri]);
