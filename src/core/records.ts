/**
 * Local records in SQLite, in sregistry-cli's own tables and columns so that both tools
 * read and write the same database (DESIGN.md "Names"). The DDL below is what
 * sregistry-cli's SQLAlchemy models create; `IF NOT EXISTS` leaves an existing database
 * as it is. Every write is one `BEGIN IMMEDIATE` transaction, the journal is WAL and a
 * busy timeout lets concurrent writers (threads or processes) wait their turn.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { SregistryError } from './errors.js';
import { validateRef, type ImageRef } from './uri.js';

export const RECORD_CLIENT = 'globus';
export const BUSY_TIMEOUT_MS = 10_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS collection (
  id INTEGER NOT NULL,
  name VARCHAR(150),
  token VARCHAR(50),
  created_at DATETIME,
  PRIMARY KEY (id),
  UNIQUE (name)
);
CREATE TABLE IF NOT EXISTS container (
  id INTEGER NOT NULL,
  created_at DATETIME,
  metrics TEXT NOT NULL,
  name VARCHAR(250) NOT NULL,
  tag VARCHAR(250) NOT NULL,
  image VARCHAR(250),
  url VARCHAR(500),
  uri VARCHAR(500),
  client VARCHAR(50) NOT NULL,
  version VARCHAR(250),
  collection_id INTEGER NOT NULL,
  PRIMARY KEY (id),
  CONSTRAINT _container_uc UNIQUE (collection_id, name, tag, client, version),
  FOREIGN KEY(collection_id) REFERENCES collection (id)
);
`;

/** What a caller stores. `metrics` is any JSON value (here: the image's manifest). */
export interface RecordInput {
  collection: string;
  name: string;
  tag: string;
  version?: string | null;
  image?: string | null;
  url?: string | null;
  uri?: string | null;
  /** Defaults to `globus`. */
  client?: string;
  metrics?: unknown;
}

export interface ContainerRecord {
  id: number;
  collection: string;
  name: string;
  tag: string;
  version: string | null;
  image: string | null;
  url: string | null;
  uri: string | null;
  client: string;
  /** Parsed JSON; the raw text when it is not JSON (sregistry-cli may write other things). */
  metrics: unknown;
  /** As stored: `YYYY-MM-DD HH:MM:SS[.ffffff]`, UTC. */
  createdAt: string | null;
}

export interface RecordQuery {
  /** Only records of this client (e.g. `globus`); default: all clients. */
  client?: string;
}

export interface Records {
  upsert(record: RecordInput): ContainerRecord;
  /** The newest record of collection/name/tag (and version, when given). */
  get(ref: ImageRef, query?: RecordQuery): ContainerRecord | undefined;
  /** Every record of collection/name:tag (only that version, when given), newest first. */
  all(ref: ImageRef, query?: RecordQuery): ContainerRecord[];
  /** Records whose `collection/name:tag` contains `query` (case-insensitive); all when omitted. */
  list(query?: string, options?: RecordQuery): ContainerRecord[];
  /** Removes the records of collection/name:tag (only that version, when given); returns how many. */
  remove(ref: ImageRef, query?: RecordQuery): number;
  close(): void;
  readonly file: string;
}

interface Row {
  id: number;
  collection: string;
  name: string;
  tag: string;
  version: string | null;
  image: string | null;
  url: string | null;
  uri: string | null;
  client: string;
  metrics: string;
  created_at: string | null;
}

const SELECT = `SELECT c.id AS id, k.name AS collection, c.name AS name, c.tag AS tag, c.version AS version,
  c.image AS image, c.url AS url, c.uri AS uri, c.client AS client, c.metrics AS metrics, c.created_at AS created_at
  FROM container c JOIN collection k ON k.id = c.collection_id`;

/** SQLAlchemy's DateTime text for SQLite, in UTC. */
export function sqlTimestamp(d: Date = new Date()): string {
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}.${String(d.getUTCMilliseconds() * 1000).padStart(6, '0')}`;
}

function localIo(file: string, what: string, err: unknown): SregistryError {
  const msg = err instanceof Error ? err.message : String(err);
  return new SregistryError(
    'LOCAL_IO',
    `Records database ${file}: ${what} failed (${msg}); check SREGISTRY_DATABASE and that the file is writable`,
    {
      cause: err,
    },
  );
}

export function openRecords(file: string): Records {
  let db: DatabaseSync;
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    db = new DatabaseSync(file, { timeout: BUSY_TIMEOUT_MS, enableForeignKeyConstraints: true });
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.exec('PRAGMA journal_mode = WAL');
  } catch (err) {
    throw localIo(file, 'opening', err);
  }
  const tx = <T>(what: string, fn: () => T): T => {
    try {
      db.exec('BEGIN IMMEDIATE');
    } catch (err) {
      throw localIo(file, what, err);
    }
    try {
      const out = fn();
      db.exec('COMMIT');
      return out;
    } catch (err) {
      try {
        db.exec('ROLLBACK');
      } catch {
        // the transaction may already be gone; the first error is the one to report
      }
      if (err instanceof SregistryError) throw err;
      throw localIo(file, what, err);
    }
  };
  try {
    tx('creating tables', () => db.exec(SCHEMA));
  } catch (err) {
    db.close();
    throw err;
  }

  const toRecord = (row: Row): ContainerRecord => {
    let metrics: unknown = row.metrics;
    try {
      metrics = JSON.parse(row.metrics);
    } catch {
      // not JSON: keep the text
    }
    return {
      id: Number(row.id),
      collection: row.collection,
      name: row.name,
      tag: row.tag,
      version: row.version,
      image: row.image,
      url: row.url,
      uri: row.uri,
      client: row.client,
      metrics,
      createdAt: row.created_at,
    };
  };

  const matchRef = (ref: ImageRef, query: RecordQuery | undefined): { where: string; params: SQLInputValue[] } => {
    const clauses = ['k.name = ?', 'c.name = ?', 'c.tag = ?'];
    const params: SQLInputValue[] = [ref.collection, ref.name, ref.tag];
    if (ref.version !== undefined) {
      clauses.push('c.version = ?');
      params.push(ref.version);
    }
    if (query?.client !== undefined) {
      clauses.push('c.client = ?');
      params.push(query.client);
    }
    return { where: clauses.join(' AND '), params };
  };

  return {
    file,
    upsert(input: RecordInput): ContainerRecord {
      const ref = validateRef({
        collection: input.collection,
        name: input.name,
        tag: input.tag,
        ...(input.version ? { version: input.version } : {}),
      });
      const client = input.client ?? RECORD_CLIENT;
      const version = input.version ?? null;
      const metrics = JSON.stringify(input.metrics ?? {});
      const now = sqlTimestamp();
      return tx('writing a record', () => {
        db.prepare('INSERT OR IGNORE INTO collection (name, token, created_at) VALUES (?, ?, ?)').run(
          ref.collection,
          randomUUID(),
          now,
        );
        const coll = db.prepare('SELECT id FROM collection WHERE name = ?').get(ref.collection) as
          { id: number } | undefined;
        if (!coll)
          throw new SregistryError(
            'LOCAL_IO',
            `Records database ${file}: collection ${ref.collection} vanished while writing`,
          );
        // `version IS ?` also matches NULL, which a UNIQUE constraint would not.
        const existing = db
          .prepare(
            'SELECT id FROM container WHERE collection_id = ? AND name = ? AND tag = ? AND client = ? AND version IS ?',
          )
          .get(coll.id, ref.name, ref.tag, client, version) as { id: number } | undefined;
        const values: SQLInputValue[] = [now, metrics, input.image ?? null, input.url ?? null, input.uri ?? null];
        let id: number;
        if (existing) {
          db.prepare('UPDATE container SET created_at = ?, metrics = ?, image = ?, url = ?, uri = ? WHERE id = ?').run(
            ...values,
            existing.id,
          );
          id = Number(existing.id);
        } else {
          const res = db
            .prepare(
              'INSERT INTO container (created_at, metrics, image, url, uri, name, tag, client, version, collection_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
            )
            .run(...values, ref.name, ref.tag, client, version, coll.id);
          id = Number(res.lastInsertRowid);
        }
        const row = db.prepare(`${SELECT} WHERE c.id = ?`).get(id) as unknown as Row;
        return toRecord(row);
      });
    },

    get(ref: ImageRef, query?: RecordQuery): ContainerRecord | undefined {
      const { where, params } = matchRef(ref, query);
      try {
        const row = db
          .prepare(`${SELECT} WHERE ${where} ORDER BY c.created_at DESC, c.id DESC LIMIT 1`)
          .get(...params) as Row | undefined;
        return row ? toRecord(row) : undefined;
      } catch (err) {
        throw localIo(file, 'reading a record', err);
      }
    },

    all(ref: ImageRef, query?: RecordQuery): ContainerRecord[] {
      const { where, params } = matchRef(ref, query);
      try {
        const rows = db
          .prepare(`${SELECT} WHERE ${where} ORDER BY c.created_at DESC, c.id DESC`)
          .all(...params) as unknown as Row[];
        return rows.map(toRecord);
      } catch (err) {
        throw localIo(file, 'reading records', err);
      }
    },

    list(query?: string, options?: RecordQuery): ContainerRecord[] {
      const clauses: string[] = [];
      const params: SQLInputValue[] = [];
      if (query) {
        clauses.push(`(k.name || '/' || c.name || ':' || c.tag) LIKE ? ESCAPE '\\'`);
        params.push(`%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      }
      if (options?.client !== undefined) {
        clauses.push('c.client = ?');
        params.push(options.client);
      }
      const where = clauses.length ? ` WHERE ${clauses.join(' AND ')}` : '';
      try {
        const rows = db
          .prepare(`${SELECT}${where} ORDER BY k.name, c.name, c.tag, c.created_at DESC, c.id DESC`)
          .all(...params) as unknown as Row[];
        return rows.map(toRecord);
      } catch (err) {
        throw localIo(file, 'listing records', err);
      }
    },

    remove(ref: ImageRef, query?: RecordQuery): number {
      const { where, params } = matchRef(ref, query);
      return tx('removing records', () => {
        const ids = db
          .prepare(`SELECT c.id AS id FROM container c JOIN collection k ON k.id = c.collection_id WHERE ${where}`)
          .all(...params) as unknown as {
          id: number;
        }[];
        const del = db.prepare('DELETE FROM container WHERE id = ?');
        for (const { id } of ids) del.run(id);
        return ids.length;
      });
    },

    close(): void {
      if (db.isOpen) db.close();
    },
  };
}
