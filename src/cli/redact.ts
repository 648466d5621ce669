/**
 * The last pass over everything the CLI writes: the client secret and anything that looks
 * like a bearer token never reach the terminal, a log file or a CI transcript, even with
 * --debug.
 */
export const REDACTED = '[redacted]';

// Values after `Bearer `, and after token/secret keys in JSON (`"access_token": "..."`) or
// forms/queries (`access_token=...`).
const BEARER = /\b(Bearer\s+)[^\s"',;]+/gi;
// Short values and placeholders (`<secret>`, `$VAR`, `...`) are left alone: real ones are long.
const KEYED = /((?:access_token|refresh_token|id_token|client_secret)["']?\s*[:=]\s*["']?)(?![<$])[^\s"'&,;}]{8,}/gi;
// Globus access tokens are long opaque strings starting with "Ag"; catch them bare too.
const GLOBUS_TOKEN = /\bAg[A-Za-z0-9_-]{30,}/g;

export class Redactor {
  readonly #secrets: string[] = [];

  /** Adds a literal value to hide wherever it appears (ignored when empty or very short). */
  add(secret: string | undefined): void {
    if (secret !== undefined && secret.length >= 4 && !this.#secrets.includes(secret)) {
      this.#secrets.push(secret);
      // Longest first, so a secret that contains another is hidden whole.
      this.#secrets.sort((a, b) => b.length - a.length);
    }
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.split(secret).join(REDACTED);
    return out.replace(BEARER, `$1${REDACTED}`).replace(KEYED, `$1${REDACTED}`).replace(GLOBUS_TOKEN, REDACTED);
  }
}
