/**
 * Keeps credentials out of everything the Action prints: the client secret (also masked
 * by the runner through setSecret) and anything shaped like a bearer token, which the
 * core never hands out but an error text or a URL might still carry.
 */
export const HIDDEN = '***';

const BEARER = /\b(bearer\s+)[A-Za-z0-9._~+/=-]+/gi;
const KEYED = /\b((?:access_token|refresh_token|id_token|client_secret|token)["']?\s*[:=]\s*["']?)[^\s"'&,;}]+/gi;
// Globus access tokens are opaque strings that start with "Ag".
const GLOBUS_TOKEN = /\bAg[A-Za-z0-9_-]{30,}/g;

export class Redactor {
  readonly #secrets: string[] = [];

  /** A literal to hide wherever it appears; very short values are ignored (they would hide ordinary text). */
  add(secret: string | undefined): void {
    if (secret === undefined || secret.length < 6 || this.#secrets.includes(secret)) return;
    this.#secrets.push(secret);
    this.#secrets.sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.split(secret).join(HIDDEN);
    return out.replace(BEARER, `$1${HIDDEN}`).replace(KEYED, `$1${HIDDEN}`).replace(GLOBUS_TOKEN, HIDDEN);
  }
}
