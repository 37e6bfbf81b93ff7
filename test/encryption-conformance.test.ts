/**
 * The conformance suite through `EncryptedStore` on memory, SQLite and
 * PostgreSQL: the wrapper keeps the whole contract. It declares search off
 * (sealed content holds no text), so the search cases are skipped by that
 * capability, by name; everything else runs.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { encryptStore, sealedLimits } from '../src/encryption/index.js';
import { MemoryStore, PostgresStore, SqliteStore } from '../src/index.js';
import { runConformanceSuite } from '../src/testing/index.js';
import { adminQuery, dropSchema, PG_URL, pgUnavailableReason, uniqueSchema } from './pg-helpers.js';

const root = mkdtempSync(join(tmpdir(), 'sessiondb-encryption-conformance-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const runner = { describe, it, skip: it.skip };
// Two keys, as after a rotation: the first seals, both open.
const keys = [
  { id: 'k2', key: randomBytes(32).toString('base64') },
  { id: 'k1', key: randomBytes(32).toString('base64') },
];
// The stores underneath take the limits sealed values need; the wrapper checks the plain ones.
const sealed = (store: import('../src/index.js').SessionStore) => encryptStore(store, { keys });

runConformanceSuite(runner, {
  name: 'EncryptedStore over MemoryStore',
  async create() {
    return sealed(new MemoryStore({ limits: sealedLimits() }));
  },
  capabilities: { search: false },
});

runConformanceSuite(runner, {
  name: 'EncryptedStore over SqliteStore (file)',
  async create() {
    const store = new SqliteStore({ path: join(root, `db-${++n}`, 'sessions.db'), limits: sealedLimits() });
    await store.migrate();
    return sealed(store);
  },
  capabilities: { sharedAcrossProcesses: true, backup: true, vacuum: true, indexedSearch: false, search: false },
  async openBackup(path) {
    return sealed(new SqliteStore({ path, limits: sealedLimits() }));
  },
});

const unavailable = await pgUnavailableReason();
if (unavailable) {
  describe.skip(`conformance: EncryptedStore over PostgresStore (skipped: ${unavailable})`, () => {
    it('needs PostgreSQL', () => undefined);
  });
} else {
  // One schema, migrated once; each case starts from its tables emptied (a fresh
  // schema per case costs ~0.5 s of DDL; the plain PostgreSQL suite pays that already).
  const schema = uniqueSchema('enc');
  let migrated = false;
  afterAll(() => dropSchema(schema));
  runConformanceSuite(runner, {
    name: 'EncryptedStore over PostgresStore',
    async create() {
      const store = new PostgresStore({ connectionString: PG_URL, schema, max: 4, limits: sealedLimits() });
      if (!migrated) {
        await store.migrate();
        migrated = true;
      } else {
        // DELETE, not TRUNCATE: on tables this small it is ~20x faster.
        const tables = await adminQuery(
          `SELECT string_agg(format('DELETE FROM %I.%I', table_schema, table_name), '; ') AS sql FROM information_schema.tables
            WHERE table_schema = $1 AND table_type = 'BASE TABLE' AND table_name NOT IN ('sessiondb_migrations', 'sessiondb_settings')`,
          [schema],
        );
        await adminQuery(tables.rows[0].sql);
      }
      return sealed(store);
    },
    capabilities: { sharedAcrossProcesses: true, vacuum: true, indexedSearch: false, search: false },
  });
}
