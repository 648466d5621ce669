import { badRequest } from '../../errors.js';
import type { FileDocument, FileType } from './document.js';

/**
 * Directory-listing `filter` and `orderby`, as the sandbox understands them.
 *
 * filter: clauses joined by `/`, all of which must hold:
 *   `name:~GLOB` / `name:!~GLOB` (glob with `*` and `?`, case-insensitive),
 *   `name:=NAME` / `name:!=NAME` (exact), `type:file,dir,...` (any of; `type:=dir` too),
 *   `size:OPN` and `last_modified:OPDATE` with OP one of `= != > >= < <=`
 *   (DATE as `2021-01-15 01:45:50` or ISO 8601).
 * orderby: comma-separated `FIELD [ASC|DESC]`, FIELD one of name, type, size,
 *   last_modified, permissions, user, group; ties fall back to name ASC.
 */

export type EntryTest = (entry: FileDocument) => boolean;

const TYPES: ReadonlySet<string> = new Set<FileType>(['dir', 'file', 'invalid_symlink']);
const SORTABLE = ['name', 'type', 'size', 'last_modified', 'permissions', 'user', 'group'] as const;
type SortField = (typeof SORTABLE)[number];

export function parseFilter(raw: string | null): EntryTest {
  if (raw === null || raw.trim() === '') return () => true;
  const tests = raw
    .split('/')
    .filter((c) => c !== '')
    .map(parseClause);
  return (entry) => tests.every((t) => t(entry));
}

function parseClause(clause: string): EntryTest {
  const colon = clause.indexOf(':');
  if (colon < 0) throw badFilter(clause, 'expected FIELD:VALUE');
  const field = clause.slice(0, colon);
  const expr = clause.slice(colon + 1);
  switch (field) {
    case 'name':
      return nameTest(clause, expr);
    case 'type': {
      const types = expr.replace(/^=/, '').split(',');
      for (const t of types) if (!TYPES.has(t)) throw badFilter(clause, `unknown type '${t}'`);
      return (entry) => types.includes(entry.type);
    }
    case 'size':
      return compareTest(clause, expr, (e) => e.size, Number);
    case 'last_modified':
      return compareTest(clause, expr, (e) => Date.parse(e.last_modified.replace(' ', 'T')), parseDate);
    default:
      throw badFilter(clause, `unsupported field '${field}'; use name, type, size or last_modified`);
  }
}

function nameTest(clause: string, expr: string): EntryTest {
  const m = /^(!?)([~=])(.*)$/.exec(expr);
  if (!m || m[3] === '') throw badFilter(clause, 'use name:~GLOB, name:!~GLOB, name:=NAME or name:!=NAME');
  const negate = m[1] === '!';
  const value = m[3] ?? '';
  const matches = m[2] === '~' ? globTest(value) : (name: string) => name === value;
  return (entry) => matches(entry.name) !== negate;
}

function globTest(glob: string): (name: string) => boolean {
  const source = [...glob]
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')))
    .join('');
  const re = new RegExp(`^${source}$`, 'isu');
  return (name) => re.test(name);
}

function compareTest(
  clause: string,
  expr: string,
  pick: (e: FileDocument) => number,
  parse: (v: string) => number,
): EntryTest {
  const m = /^(!=|>=|<=|=|>|<)(.+)$/.exec(expr);
  const value = m ? parse(m[2] ?? '') : Number.NaN;
  if (!m || Number.isNaN(value)) throw badFilter(clause, 'use an operator (= != > >= < <=) and a value');
  const op = m[1];
  return (entry) => {
    const v = pick(entry);
    switch (op) {
      case '=':
        return v === value;
      case '!=':
        return v !== value;
      case '>':
        return v > value;
      case '>=':
        return v >= value;
      case '<':
        return v < value;
      default:
        return v <= value;
    }
  };
}

const parseDate = (v: string): number =>
  Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v.replace(' ', 'T') : `${v.replace(' ', 'T')}Z`);

const badFilter = (clause: string, why: string) => badRequest(`Invalid filter '${clause}': ${why}`);

export type EntryOrder = (a: FileDocument, b: FileDocument) => number;

export function parseOrderBy(raw: string | null): EntryOrder {
  const keys: { field: SortField; dir: 1 | -1 }[] = [];
  for (const part of (raw ?? '').split(',')) {
    const words = part.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) continue;
    const [field, direction = 'ASC'] = words;
    if (words.length > 2 || !(SORTABLE as readonly string[]).includes(field ?? '')) {
      throw badRequest(
        `Invalid orderby '${part.trim()}': use FIELD [ASC|DESC] with FIELD one of ${SORTABLE.join(', ')}`,
      );
    }
    const dir = direction.toUpperCase();
    if (dir !== 'ASC' && dir !== 'DESC') throw badRequest(`Invalid orderby direction '${direction}': use ASC or DESC`);
    keys.push({ field: field as SortField, dir: dir === 'ASC' ? 1 : -1 });
  }
  keys.push({ field: 'name', dir: 1 });
  return (a, b) => {
    for (const { field, dir } of keys) {
      const x = a[field];
      const y = b[field];
      const c =
        typeof x === 'number' && typeof y === 'number'
          ? x - y
          : String(x) < String(y)
            ? -1
            : String(x) > String(y)
              ? 1
              : 0;
      if (c !== 0) return c * dir;
    }
    return 0;
  };
}
