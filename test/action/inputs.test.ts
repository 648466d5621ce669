/** The Action's inputs: variable names, defaults and accepted values, tags, and the images a push names. */
import { describe, expect, it } from '@jest/globals';
import { inputVariable, tagsInput as parseTags, pushTargets, readInputs } from '../../src/action/inputs.js';
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
    expect(inputs).toMatchObject({
      command: 'push',
      transport: 'auto',
      timeoutSeconds: 3600,
      cache: false,
      tags: ['latest'],
      ifNoFilesFound: 'error',
      pullTo: 'images',
    });
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
    expect(old.timeoutNote).toBe(
      'Input timeout is "1.5", read as 1.5 minutes as before; timeouts are now in seconds everywhere (as the CLI\'s --timeout): write timeout: 90s (or 1.5m). A bare number will mean seconds from version 1.0',
    );
    // Seconds, the one unit, or another unit named.
    for (const [text, seconds] of [
      ['90s', 90],
      ['15m', 900],
      ['1h', 3600],
      ['3600s', 3600],
    ] as const) {
      const read = readInputs(reader({ ...base, timeout: text }));
      expect({ text, seconds: read.timeoutSeconds, note: read.timeoutNote }).toEqual({
        text,
        seconds,
        note: undefined,
      });
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
