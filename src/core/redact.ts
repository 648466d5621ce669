/**
 * The one redactor every front end passes its output through: the client secret and
 * anything shaped like a token never reach a terminal, a CI log, a Node-RED status or an
 * error, even in debug output. Where the CLI's and the Action's old rules differed, the
 * stricter one is kept: literals from 4 characters, a bare `token=` key, any value length.
 */
export const REDACTED = '[redacted]';

const BEARER = /\b(bearer\s+)[^\s"',;]+/gi;
// Values after token/secret keys in JSON (`"access_token": "..."`) or forms and queries
// (`client_secret=...`). Placeholders in help texts (`<secret>`, `$VAR`, `...`) stay.
const KEYED =
  /((?:access_token|refresh_token|id_token|client_secret|token)["']?\s*[:=]\s*["']?)(?![<$]|\.{3})[^\s"'&,;}]+/gi;
// Globus access tokens are long opaque strings that start with "Ag"; catch them bare too.
const GLOBUS_TOKEN = /\bAg[A-Za-z0-9_-]{30,}/g;
// The userinfo of a URL (a proxy URL with its user and password, however short).
export const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@"'<>]+@/gi;
const MIN_SECRET_LENGTH = 4;

export class Redactor {
  readonly #secrets: string[] = [];

  /** `marker` replaces what is hidden (the Action uses the runner's own `***`). */
  constructor(readonly marker: string = REDACTED) {}

  /** A literal to hide wherever it appears; empty or very short values are ignored (they would hide ordinary text). */
  add(secret: string | undefined): void {
    if (secret === undefined || secret.length < MIN_SECRET_LENGTH || this.#secrets.includes(secret)) return;
    this.#secrets.push(secret);
    // Longest first, so a secret that contains another is hidden whole.
    this.#secrets.sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.split(secret).join(this.marker);
    return out
      .replace(URL_USERINFO, `$1${this.marker}@`)
      .replace(BEARER, `$1${this.marker}`)
      .replace(KEYED, `$1${this.marker}`)
      .replace(GLOBUS_TOKEN, this.marker);
  }
}
