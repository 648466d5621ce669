/** The Action's small parts: inputs, names, redaction, progress throttling, cache paths, failure lines. */
import { describe, expect, it } from '@jest/globals';
import { Redactor, SregistryError } from '../../src/index.js';
import { cacheKey, cachePath } from '../../src/action/cache.js';
import { failureMessage, progressReporter } from '../../src/action/report.js';
import { inputVariable, tagsInput as parseTags, pushTargets, readInputs } from '../../src/action/inputs.js';
import { provenance } from '../../src/action/push.js';

// The Action hides what it redacts the way the runner masks secrets.
const HIDDEN = '***';
import { thrownCode as code } from '../support/errors.js';

const reader =
  (values: Record<string, string>) =>
  (name: string): string =>
    values[name] ?? '';

describe('inputs', () => {
  const base = { 'client-id': 'id', 'client-secret': 'secret', endpoint: 'ep', images: 'a.sif' };

  it('names variables like the runner: upper case, spaces to _, hyphens kept', () => {
    expect(inputVariable('client-id')).toBe('INPUT_CLIENT-ID');
    expect(inputVariable('if no files')).toBe('INPUT_IF_NO_FILES');
  });

  it('reads defaults and refuses values outside the accepted ones', () => {
    const inputs = readInputs(reader(base));
    expect(inputs).toMatchObject({ command: 'push', transport: 'auto', timeoutSeconds: 3600, cache: false, tags: ['latest'], ifNoFilesFound: 'error', pullTo: 'images' });
    expect(code(() => readInputs(reader({ ...base, transport: 'ftp' })))).toBe('INVALID_INPUT');
    expect(code(() => readInputs(reader({ ...base, cache: 'yes' })))).toBe('INVALID_INPUT');
    expect(code(() => readInputs(reader({ ...base, timeout: '-1' })))).toBe('INVALID_INPUT');
    expect(code(() => readInputs(reader({ ...base, command: 'delete' })))).toBe('INVALID_INPUT');
    expect(code(() => readInputs(reader({ ...base, endpoint: '' })))).toBe('INVALID_INPUT');
    expect(code(() => readInputs(reader({ ...base, images: '' })))).toBe('INVALID_INPUT');
    expect(code(() => readInputs(reader({ ...base, command: 'pull' })))).toBe('INVALID_INPUT');
    // The old form, a bare number of minutes, still works, with a note saying what to write now.
    const old = readInputs(reader({ ...base, timeout: '1.5', cache: 'True' }));
    expect(old).toMatchObject({ timeoutSeconds: 90, cache: true });
    expect(old.timeoutNote).toBe('Input timeout is "1.5", read as 1.5 minutes as before; timeouts are now in seconds everywhere (as the CLI\'s --timeout): write timeout: 90s (or 1.5m). A bare number will mean seconds from version 1.0');
    // Seconds, the one unit, or another unit named.
    for (const [text, seconds] of [['90s', 90], ['15m', 900], ['1h', 3600], ['3600s', 3600]] as const) {
      const read = readInputs(reader({ ...base, timeout: text }));
      expect({ text, seconds: read.timeoutSeconds, note: read.timeoutNote }).toEqual({ text, seconds, note: undefined });
    }
    expect(code(() => readInputs(reader({ ...base, timeout: '10 minutes' })))).toBe('INVALID_INPUT');
  });

  it('takes tags one per line, or space/comma separated, lower-cased and once each', () => {
    expect(parseTags('v1\nLatest\n\n v1 ')).toEqual(['v1', 'latest']);
    expect(parseTags('a, b c')).toEqual(['a', 'b', 'c']);
    expect(parseTags('')).toEqual(['latest']);
    expect(code(() => parseTags('.hidden'))).toBe('INVALID_INPUT');
  });

  it('uses the name and tags lower-cased and keeps them as written for the core to say what it folded', () => {
    const folded = readInputs(reader({ ...base, name: 'Lab/App', tags: 'latest\nV1.2' }));
    expect(folded).toMatchObject({ name: 'lab/app', tags: ['latest', 'v1.2'] });
    expect(folded.given).toEqual(['Lab/App', 'latest', 'V1.2']);
  });
});

describe('push targets', () => {
  it('names images after their files, in library or the given collection', () => {
    expect(pushTargets(['/w/Alpine.SIF', '/w/b/tools.simg'], '')).toEqual([
      { file: '/w/Alpine.SIF', collection: 'library', name: 'alpine' },
      { file: '/w/b/tools.simg', collection: 'library', name: 'tools' },
    ]);
    expect(pushTargets(['/w/a.sif'], 'lab/')).toEqual([{ file: '/w/a.sif', collection: 'lab', name: 'a' }]);
    expect(pushTargets(['/w/a.sif'], 'lab/app')).toEqual([{ file: '/w/a.sif', collection: 'lab', name: 'app' }]);
  });

  it('refuses a full name for several files, file names that make no image name, and bad collections', () => {
    expect(code(() => pushTargets(['/w/a.sif', '/w/b.sif'], 'lab/app'))).toBe('INVALID_REFERENCE');
    expect(code(() => pushTargets(['/w/my image.sif'], ''))).toBe('INVALID_REFERENCE');
    expect(code(() => pushTargets(['/w/a.sif'], '-bad/'))).toBe('INVALID_REFERENCE');
  });
});

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

describe('cache keys and paths', () => {
  it('keys on collection, name and version; paths inside the workspace are relative', () => {
    expect(cacheKey('lab', 'app', 'ab'.repeat(32))).toBe(`sregistry-globus-lab-app-${'ab'.repeat(32)}`);
    expect(cachePath('/w/images/a.sif', '/w')).toBe('images/a.sif');
    expect(cachePath('/elsewhere/a.sif', '/w')).toBe('/elsewhere/a.sif');
  });
});

describe('failure line and provenance', () => {
  it('is one line with the code and the Globus request id', () => {
    const err = new SregistryError('PERMISSION_DENIED', 'No write permission\non /shub/: ask the owner', { requestId: 'r123' });
    expect(failureMessage(err)).toBe('No write permission on /shub/: ask the owner (code PERMISSION_DENIED, Globus request_id r123)');
    expect(failureMessage(new Error('boom'))).toMatch(/^Unexpected failure: boom \(code INTERNAL/);
  });

  it('leaves out what the run does not have', () => {
    expect(provenance({ GITHUB_SHA: 'abc' })).toEqual({ git_sha: 'abc' });
  });
});
