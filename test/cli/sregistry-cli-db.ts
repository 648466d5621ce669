/**
 * sregistry-cli's side of a shared records database, played by python3's sqlite3: the
 * tables its SQLAlchemy models (sregistry/database/models.py) create, a record written
 * the way its add() writes one, and its get() lookup (collection by name, then
 * container by collection_id, name and tag, version when given).
 */
import { execFileSync } from 'node:child_process';

const DDL = `
CREATE TABLE collection (
	id INTEGER NOT NULL,
	name VARCHAR(150),
	token VARCHAR(50),
	created_at DATETIME,
	PRIMARY KEY (id),
	UNIQUE (name)
);
CREATE TABLE container (
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

function python(script: string, args: string[]): string {
  return execFileSync('python3', ['-c', script, ...args], { encoding: 'utf8' });
}

/** Creates `file` with sregistry-cli's tables (and nothing else). */
export function createSregistryCliDatabase(file: string): void {
  python('import sqlite3,sys\ndb=sqlite3.connect(sys.argv[1])\ndb.executescript(sys.argv[2])\ndb.commit()', [
    file,
    DDL,
  ]);
}

export interface CliRecord {
  collection: string;
  name: string;
  tag: string;
  version: string | null;
  image: string | null;
  client: string;
}

/** Inserts a record as sregistry-cli's add() does (client "registry", uri collection/name:tag@version, metrics JSON). */
export function addAsSregistryCli(file: string, r: CliRecord): void {
  python(
    `import sqlite3,sys,json,uuid
db=sqlite3.connect(sys.argv[1])
r=json.loads(sys.argv[2])
db.execute("INSERT OR IGNORE INTO collection (name, token, created_at) VALUES (?, ?, datetime('now'))", (r['collection'], str(uuid.uuid4())))
cid=db.execute("SELECT id FROM collection WHERE name=?", (r['collection'],)).fetchone()[0]
uri="%s/%s:%s" % (r['collection'], r['name'], r['tag']) + ("@%s" % r['version'] if r['version'] else "")
db.execute("INSERT INTO container (created_at, metrics, name, tag, image, url, uri, client, version, collection_id) VALUES (datetime('now'), ?, ?, ?, ?, NULL, ?, ?, ?, ?)",
  (json.dumps({"data": {"attributes": {"labels": {}}}}), r['name'], r['tag'], r['image'], uri, r['client'], r['version'], cid))
db.commit()`,
    [file, JSON.stringify(r)],
  );
}

/** sregistry-cli's get(): the image path (or url) of collection/name:tag, or null when it finds none. */
export function getAsSregistryCli(
  file: string,
  collection: string,
  name: string,
  tag: string,
): { image: string | null; url: string | null; version: string | null } | null {
  const out = python(
    `import sqlite3,sys,json
db=sqlite3.connect(sys.argv[1])
c=db.execute("SELECT id FROM collection WHERE name=?", (sys.argv[2],)).fetchone()
row=None if c is None else db.execute("SELECT image, url, version FROM container WHERE collection_id=? AND name=? AND tag=? ORDER BY id DESC", (c[0], sys.argv[3], sys.argv[4])).fetchone()
print(json.dumps(None if row is None else {"image": row[0], "url": row[1], "version": row[2]}))`,
    [file, collection, name, tag],
  );
  return JSON.parse(out) as { image: string | null; url: string | null; version: string | null } | null;
}

/** The tables as sqlite_master holds them, to show that using the file did not change sregistry-cli's schema. */
export function tableSql(file: string): string[] {
  return JSON.parse(
    python(
      `import sqlite3,sys,json\ndb=sqlite3.connect(sys.argv[1])\nprint(json.dumps([r[0] for r in db.execute("SELECT sql FROM sqlite_master WHERE type='table' ORDER BY name")]))`,
      [file],
    ),
  ) as string[];
}
