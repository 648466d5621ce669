/** Small text helpers shared by the log, the summary and the outputs. */

export { formatBytes } from '../core/bytes.js';

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** First 12 hex digits of a version, as registries usually show it. */
export const shortVersion = (version: string): string => version.slice(0, 12);
