import type { IncomingMessage } from 'node:http';
import { badRequest } from '../errors.js';

/**
 * The endpoint path a request names, taken from the raw request target (not the
 * parsed URL, which would quietly collapse `..` segments) and percent-decoded, so that
 * path bounds see exactly what the client sent.
 */
export function requestedPath(req: IncomingMessage): string {
  let target = req.url ?? '/';
  if (!target.startsWith('/')) target = new URL(target).pathname;
  const end = target.search(/[?#]/);
  const encoded = end === -1 ? target : target.slice(0, end);
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw badRequest('Path is not valid percent-encoded UTF-8');
  }
}
