import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

/** `test/fixtures/globus/`: real Globus responses (Apache-2.0, see its README), read-only. */
export const FIXTURES_DIR = resolve(process.cwd(), 'test', 'fixtures', 'globus');

export interface FixtureEntry {
  file: string;
  service: string;
  path: string;
  method: string;
  query: Record<string, unknown>;
  json: unknown;
}

/** Every recorded request/response of the globus-cli fixtures, plus the SDK's task documents. */
export function loadFixtures(): FixtureEntry[] {
  const entries: FixtureEntry[] = [];
  const cliDir = join(FIXTURES_DIR, 'globus-cli');
  for (const file of readdirSync(cliDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    const doc = parse(indentJsonBlocks(readFileSync(join(cliDir, file), 'utf8'))) as Record<string, unknown>;
    for (const [service, list] of Object.entries(doc)) {
      if (service === 'metadata' || !Array.isArray(list)) continue;
      for (const item of list as Record<string, unknown>[]) {
        entries.push({
          file: `globus-cli/${file}`,
          service,
          path: String(item.path),
          method: String(item.method ?? 'get').toUpperCase(),
          query: (item.query_params as Record<string, unknown>) ?? {},
          json: item.json,
        });
      }
    }
  }
  const sdkDir = join(FIXTURES_DIR, 'globus-sdk-python');
  for (const file of readdirSync(sdkDir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const json = JSON.parse(readFileSync(join(sdkDir, file), 'utf8')) as Record<string, unknown>;
    entries.push({
      file: `globus-sdk-python/${file}`,
      service: 'transfer',
      path: `/v0.10/task/${String(json.task_id)}`,
      method: 'GET',
      query: {},
      json,
    });
  }
  return entries;
}

/**
 * Some fixtures put a `json:` value's JSON text at column 0, which YAML parsers refuse.
 * JSON does not care about indentation, so indent each such block under its key.
 */
function indentJsonBlocks(text: string): string {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const key = /^(\s*)json:\s*$/.exec(lines[i]!);
    if (!key) continue;
    const pad = ' '.repeat(key[1]!.length + 2);
    let depth = 0;
    for (let j = i + 1; j < lines.length; j++) {
      const line = lines[j]!;
      lines[j] = pad + line.trimStart();
      for (const ch of line.replace(/"(?:[^"\\]|\\.)*"/g, ''))
        depth += ch === '{' || ch === '[' ? 1 : ch === '}' || ch === ']' ? -1 : 0;
      if (depth === 0 && line.trim() !== '') {
        i = j;
        break;
      }
    }
  }
  return lines.join('\n');
}

const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/**
 * Where `actual` departs from the shape of `expected`: a key missing, or a value of
 * another type. `null` on either side matches any type (the real service sends null for
 * unset fields). Arrays compare each expected element with actual's first element.
 * `DATA_TYPE` values, and a result's top-level `code`, must be equal, not only of the same type
 * (event codes inside lists are data, so they only need to be strings).
 */
export function shapeDifferences(expected: unknown, actual: unknown, at = '$'): string[] {
  const ek = kind(expected);
  const ak = kind(actual);
  if (ek === 'null' || ak === 'null') return [];
  if (ek !== ak) return [`${at}: expected ${ek}, got ${ak}`];
  if (ek === 'array') {
    const e = expected as unknown[];
    const a = actual as unknown[];
    if (e.length === 0) return [];
    if (a.length === 0) return [`${at}: expected a non-empty array`];
    return e
      .flatMap((item, i) => shapeDifferences(item, a[0], `${at}[${i}]`))
      .filter((d, i, all) => all.indexOf(d) === i);
  }
  if (ek !== 'object') return [];
  const e = expected as Record<string, unknown>;
  const a = actual as Record<string, unknown>;
  const out: string[] = [];
  for (const key of Object.keys(e)) {
    if (!(key in a)) {
      out.push(`${at}.${key}: missing`);
      continue;
    }
    if ((key === 'DATA_TYPE' || (key === 'code' && at === '$')) && typeof e[key] === 'string' && e[key] !== a[key]) {
      out.push(`${at}.${key}: expected ${String(e[key])}, got ${String(a[key])}`);
      continue;
    }
    out.push(...shapeDifferences(e[key], a[key], `${at}.${key}`));
  }
  return out;
}
