/** Step outputs: JSON arrays with one entry per image and tag, and the first image alone. */
import * as core from '@actions/core';
import type { ImageResult } from '../core/registry/types.js';
import { webAppUrl } from './links.js';

export interface Outputs {
  uris: string[];
  versions: string[];
  urls: string[];
  'https-urls': string[];
  'task-ids': string[];
  files: string[];
  uri: string;
  version: string;
}

export function outputsFor(results: ImageResult[]): Outputs {
  return {
    uris: results.map((r) => r.uri),
    versions: results.map((r) => r.version),
    urls: results.map((r) => webAppUrl(r)),
    'https-urls': results.map((r) => r.httpsUrl ?? ''),
    'task-ids': results.map((r) => r.taskId ?? ''),
    files: results.flatMap((r) => (r.image ? [r.image] : [])),
    uri: results[0]?.uri ?? '',
    version: results[0]?.version ?? '',
  };
}

export function setOutputs(results: ImageResult[]): void {
  for (const [name, value] of Object.entries(outputsFor(results))) {
    core.setOutput(name, typeof value === 'string' ? value : JSON.stringify(value));
  }
}
