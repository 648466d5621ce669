import { SregistryError } from '../errors.js';
import { assertSecureUrl } from '../http/secure-url.js';

/** Where a collection's files are served: its `https_server` and its id (for the token scope). */
export interface CollectionTarget {
  httpsServer: string;
  collectionId: string;
  /** A non-high-assurance GCSv5 mapped collection: its token also needs the `data_access` scope. */
  dataAccess?: boolean;
}

/**
 * A collection path as it goes into a URL: every segment percent-encoded, so spaces,
 * `#`, `?` and `%` in names reach the server as names. `.` and `..` segments are refused
 * rather than sent: URL parsing would fold them and address another file.
 */
export function encodeCollectionPath(path: string): string {
  if (typeof path !== 'string' || path.length === 0) {
    throw new SregistryError(
      'INVALID_INPUT',
      'A collection path is required, e.g. /shub/library/name/latest@<sha256>.sif',
    );
  }
  if (path.includes('\0')) throw new SregistryError('UNSAFE_PATH', 'A collection path must not contain a NUL byte');
  const segments = (path.startsWith('/') ? path.slice(1) : path).split('/');
  if (segments.some((s) => s === '.' || s === '..')) {
    throw new SregistryError(
      'UNSAFE_PATH',
      `Refusing the collection path ${JSON.stringify(path.slice(0, 200))}: "." and ".." segments are not allowed`,
    );
  }
  return `/${segments.map(encodeURIComponent).join('/')}`;
}

/** The https URL of `path` on the collection's HTTPS server (plain http only for loopback). */
export function collectionUrl(target: CollectionTarget, path: string): URL {
  const base = assertSecureUrl(target.httpsServer);
  const prefix = base.pathname.replace(/\/+$/, '');
  return new URL(`${base.origin}${prefix}${encodeCollectionPath(path)}`);
}
