/** The image files a push takes: the `images` globs, matched the way other Actions match paths. */
import { realpath } from 'node:fs/promises';
import * as glob from '@actions/glob';
import { SregistryError } from '../core/errors.js';
import type { IfNoFilesFound } from './inputs.js';
import type { Log } from './log.js';

/** Files (never folders) matching the patterns, in match order, each once even when reached twice. */
export async function matchImages(patterns: string[], ifNone: IfNoFilesFound, log: Log): Promise<string[]> {
  const globber = await glob.create(patterns.join('\n'), { matchDirectories: false, implicitDescendants: false });
  const seen = new Set<string>();
  const files: string[] = [];
  for await (const file of globber.globGenerator()) {
    const real = await realpath(file);
    if (seen.has(real)) continue;
    seen.add(real);
    files.push(file);
  }
  if (files.length > 0) return files;
  const what = `No file matched images (${patterns.join(', ')})`;
  switch (ifNone) {
    case 'error':
      throw new SregistryError(
        'NOT_FOUND',
        `${what}: check the paths, which are relative to the workspace, and that the build step wrote the images; set if-no-files-found: warn or ignore to allow this`,
      );
    case 'warn':
      log.warning(`${what}; nothing was pushed`);
      return [];
    default:
      log.info(`${what}; nothing was pushed`);
      return [];
  }
}
