/** Links a person can open for a published image. */
import { posix } from 'node:path';
import type { ImageResult } from '../core/registry/types.js';

const WEB_APP = 'https://app.globus.org/file-manager';

/** The Globus web app's file manager, opened on the folder that holds the image. */
export function webAppUrl(result: Pick<ImageResult, 'endpoint' | 'path'>): string {
  const folder = `${posix.dirname(result.path)}/`.replace(/\/+$/, '/');
  return `${WEB_APP}?origin_id=${encodeURIComponent(result.endpoint)}&origin_path=${encodeURIComponent(folder)}`;
}

/** What the summary links to: the HTTPS URL when there is one, else the web app folder. */
export const bestUrl = (result: Pick<ImageResult, 'endpoint' | 'path' | 'httpsUrl'>): string => result.httpsUrl ?? webAppUrl(result);
