import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSessionService } from '@google/adk';
import { SqliteDriver } from '@mikro-orm/sqlite';
import Database from 'better-sqlite3';
import { AdkSessionService } from '../../../src/adapters/adk/index.js';
import { SqliteStore } from '../../../src/stores/sqlite/index.js';
import { adkSqliteFiller, sessiondbSqliteFiller } from '../fill/sqlite.js';
import { AdkApiSystem } from './adk-api.js';
import { SqliteFloor } from './sqlite-floor.js';
import { StoreSystem } from './store.js';
import type { Arena } from './system.js';

/** The pragmas every SQLite contender runs with: sessiondb's defaults. */
export const SQLITE_PRAGMAS = ['journal_mode = WAL', 'synchronous = NORMAL'] as const;

/** A node-sqlite3 connection as knex hands it to `afterCreate`. */
interface Sqlite3Connection {
  exec(sql: string, callback: (err: Error | null) => void): void;
}

async function openStore(path: string): Promise<SqliteStore> {
  const store = new SqliteStore({ path, synchronous: 'normal' });
  await store.migrate();
  return store;
}

/** The four SQLite contenders, each on its own file in a fresh temporary directory. */
export async function sqliteArena(): Promise<Arena> {
  const dir = mkdtempSync(join(tmpdir(), 'sessiondb-bench-'));
  const floorPath = join(dir, 'floor.db');
  await (await openStore(floorPath)).close(); // the store's own schema, so both do identical index work
  const floorDb = new Database(floorPath);
  for (const p of SQLITE_PRAGMAS) floorDb.pragma(p);
  floorDb.pragma('foreign_keys = ON');

  const store = await openStore(join(dir, 'store.db'));
  const serviceStore = await openStore(join(dir, 'adk-service.db'));

  // ADK's own service gets the same journal and durability (by default it would
  // run a rollback journal with synchronous=FULL: an fsync per commit).
  const adkPath = join(dir, 'adk.db');
  const adk = new DatabaseSessionService({
    driver: SqliteDriver,
    dbName: adkPath,
    pool: {
      afterCreate: (conn: Sqlite3Connection, done: (err: Error | null, conn: Sqlite3Connection) => void) =>
        conn.exec(SQLITE_PRAGMAS.map((p) => `PRAGMA ${p};`).join(' '), (err) => done(err, conn)),
    },
  });
  await adk.init(); // creates ADK's tables, so that the filler's connection sees them
  const adkDb = new Database(adkPath);

  const systems = {
    floor: new SqliteFloor(floorDb),
    store: new StoreSystem('sqlite', 'SqliteStore', store),
    service: new AdkApiSystem('adk-service', 'sqlite', 'sessiondb AdkSessionService', new AdkSessionService(serviceStore), () => serviceStore.close()),
    adk: new AdkApiSystem('adk', 'sqlite', 'ADK DatabaseSessionService', adk, () => (adk as unknown as { orm: { close(): Promise<void> } }).orm.close()),
  };
  return {
    backend: 'sqlite',
    variant: 'standard',
    contenders: [
      { system: systems.floor, filler: sessiondbSqliteFiller(floorDb) },
      { system: systems.store, filler: sessiondbSqliteFiller(await store.database()) },
      { system: systems.service, filler: sessiondbSqliteFiller(await serviceStore.database()) },
      { system: systems.adk, filler: adkSqliteFiller(adkDb) },
    ],
    async dispose() {
      for (const s of Object.values(systems)) await s.close();
      adkDb.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
