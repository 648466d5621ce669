/** The job summary: one table row per image and tag, and the failure when there was one. */
import * as core from '@actions/core';
import type { ImageResult } from '../core/registry/types.js';
import { formatBytes, formatSeconds, shortVersion } from './format.js';
import { bestUrl } from './links.js';

export interface SummaryRow {
  result: ImageResult;
  /** How long the operation for this image took. */
  ms: number;
}

const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function summaryTable(rows: SummaryRow[]): string[][] {
  return rows.map(({ result: r, ms }) => {
    const url = bestUrl(r);
    return [
      escape(`${r.collection}/${r.name}:${r.tag}`),
      `<code>${escape(shortVersion(r.version))}</code>`,
      escape(formatBytes(r.size)),
      `<a href="${escape(url)}">${escape(r.httpsUrl ? 'download' : 'Globus')}</a>`,
      escape(r.status),
      escape(formatSeconds(ms)),
    ];
  });
}

/** Appends to GITHUB_STEP_SUMMARY; without it (a local run) there is nothing to write. */
export async function writeSummary(command: string, endpoint: string, rows: SummaryRow[], failure?: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  const s = core.summary.addHeading(`sregistry-globus ${command}`, 3);
  s.addRaw(`<p>Collection <code>${escape(endpoint)}</code></p>`, true);
  if (rows.length > 0) {
    const header = ['Image', 'Version', 'Size', 'URL', 'Status', 'Time'].map((data) => ({ data, header: true }));
    s.addTable([header, ...summaryTable(rows)]);
  } else if (failure === undefined) {
    s.addRaw('<p>No image.</p>', true);
  }
  if (failure !== undefined) s.addRaw(`<p><strong>Failed:</strong> ${escape(failure)}</p>`, true);
  await s.write();
}
