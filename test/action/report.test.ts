/** What the Action writes to the log: redacted text, progress lines, the failure line, and the push's provenance. */
import { describe, expect, it } from '@jest/globals';
import { Redactor, SregistryError } from '../../src/index.js';
import { failureMessage, progressReporter } from '../../src/action/report.js';
import { provenance } from '../../src/action/push.js';

// The Action hides what it redacts the way the runner masks secrets.
const HIDDEN = '***';

describe('redaction', () => {
  it('hides the secret, bearer tokens, keyed tokens and Globus-shaped tokens', () => {
    const r = new Redactor(HIDDEN);
    r.add('s3cr3t-value');
    const token = `Ag${'x'.repeat(40)}`;
    const out = r.redact(`secret s3cr3t-value, Authorization: Bearer abc.def, {"access_token":"zzz"} ${token} ok`);
    expect(out).toBe(`secret ${HIDDEN}, Authorization: Bearer ${HIDDEN}, {"access_token":"${HIDDEN}"} ${HIDDEN} ok`);
  });
});

describe('progress', () => {
  it('writes at most one line per interval', () => {
    let now = 0;
    const lines: string[] = [];
    const report = progressReporter((l) => lines.push(l), { intervalMs: 5000, now: () => now });
    const event = (bytes: number) => ({ phase: 'upload' as const, image: 'lab/a:v1', bytes, total: 4 * 1048576 });
    report(event(1));
    now = 4999;
    report(event(2));
    now = 5000;
    report(event(1048576));
    now = 6000;
    report(event(2097152));
    now = 10_000;
    report(event(3145728));
    expect(lines).toEqual(['upload lab/a:v1: 1.0 MiB of 4.0 MiB (25%)', 'upload lab/a:v1: 3.0 MiB of 4.0 MiB (75%)']);
  });
});

describe('failure line and provenance', () => {
  it('is one line with the code and the Globus request id', () => {
    const err = new SregistryError('PERMISSION_DENIED', 'No write permission\non /shub/: ask the owner', {
      requestId: 'r123',
    });
    expect(failureMessage(err)).toBe(
      'No write permission on /shub/: ask the owner (code PERMISSION_DENIED, Globus request_id r123)',
    );
    expect(failureMessage(new Error('boom'))).toMatch(/^Unexpected failure: boom \(code INTERNAL/);
  });

  it('leaves out what the run does not have', () => {
    expect(provenance({ GITHUB_SHA: 'abc' })).toEqual({ git_sha: 'abc' });
  });
});
