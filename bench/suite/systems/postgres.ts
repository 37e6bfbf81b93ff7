import { DatabaseSessionService } from '@google/adk';
import pg from 'pg';
import { AdkSessionService } from '../../../src/adapters/adk/index.js';
import { PostgresStore } from '../../../src/stores/postgres/index.js';
import { pgNames } from '../../../src/stores/postgres/schema.js';
import { adkPostgresFiller, sessiondbPostgresFiller } from '../fill/postgres.js';
import { AdkApiSystem } from './adk-api.js';
import { PostgresFloor } from './postgres-floor.js';
import { StoreSystem } from './store.js';
import type { Arena } from './system.js';

/** Connections per system: one per concurrent writer. */
export const PG_POOL_SIZE = 8;

/** `url` with another database name. */
function onDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function migratedStore(url: string, schema: string): Promise<PostgresStore> {
  const store = new PostgresStore({ connectionString: url, schema, max: PG_POOL_SIZE });
  await store.migrate();
  return store;
}

/** The setting the flush-off arena gives every connection of all four systems. */
export const FLUSH_OFF_SETTING = 'synchronous_commit = off';

/**
 * Each of the four systems' connections, asked for its synchronous_commit:
 * the floor's and ADK's through their own pools, the stores' through a new
 * connection to their database (a database's settings apply to every session
 * started on it, and the stores set none of their own).
 */
async function synchronousCommitOf(floor: pg.Pool, storesUrl: string, adk: unknown): Promise<Record<string, string>> {
  const show = 'SHOW synchronous_commit';
  const client = new pg.Client({ connectionString: storesUrl });
  await client.connect();
  try {
    const storesSetting = (await client.query(show)).rows[0].synchronous_commit as string;
    const orm = (adk as { orm: { em: { getConnection(): { execute(sql: string): Promise<{ synchronous_commit: string }[]> } } } }).orm;
    return {
      floor: (await floor.query(show)).rows[0].synchronous_commit as string,
      store: storesSetting,
      'adk-service': storesSetting,
      adk: (await orm.em.getConnection().execute(show))[0]!.synchronous_commit,
    };
  } finally {
    await client.end();
  }
}

/**
 * The four PostgreSQL contenders: sessiondb's (and the floor's) tables in
 * fresh schemas of the server's database, ADK's in a fresh database of its
 * own (its table names are fixed). `dispose` drops them all.
 *
 * With `flushOff`, sessiondb's schemas go into a fresh database too, and both
 * databases get `ALTER DATABASE ... SET synchronous_commit = off` before any
 * system connects, so that no commit of any system waits for its WAL flush.
 * Not a durable configuration: for the software-overhead comparison only.
 */
export async function postgresArena(url: string, runId: string, { flushOff = false } = {}): Promise<Arena> {
  const server = new pg.Pool({ connectionString: url, max: 2 });
  const storesDatabase = flushOff ? `${runId}_nosync` : null;
  const schemas = { floor: `${runId}_floor`, store: `${runId}_store`, service: `${runId}_adk_service` };
  const adkDatabase = flushOff ? `${runId}_nosync_adk` : `${runId}_adk`;
  const created: (() => Promise<unknown>)[] = [];
  let admin = server;
  const dispose = async () => {
    for (const undo of created.reverse()) await undo().catch((err: Error) => console.error(`cleanup: ${err.message}`));
    await server.end();
  };
  const createDatabase = async (name: string) => {
    await server.query(`CREATE DATABASE "${name}"`);
    created.push(() => server.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    if (flushOff) await server.query(`ALTER DATABASE "${name}" SET ${FLUSH_OFF_SETTING}`);
  };
  try {
    if (storesDatabase) {
      await createDatabase(storesDatabase);
      url = onDatabase(url, storesDatabase);
      admin = new pg.Pool({ connectionString: url, max: 2 });
      const storesAdmin = admin;
      created.push(() => storesAdmin.end());
    }
    for (const schema of Object.values(schemas)) created.push(() => admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
    await (await migratedStore(url, schemas.floor)).close();
    const floorPool = new pg.Pool({ connectionString: url, max: PG_POOL_SIZE });
    const floor = new PostgresFloor(floorPool, pgNames(schemas.floor, ''));
    created.push(() => floor.close());
    const store = new StoreSystem('postgres', 'PostgresStore', await migratedStore(url, schemas.store));
    const storeNames = pgNames(schemas.store, '');
    created.push(() => store.close());
    const serviceStore = await migratedStore(url, schemas.service);
    const service = new AdkSessionService(serviceStore);
    created.push(() => serviceStore.close());

    await createDatabase(adkDatabase);
    const adkUrl = onDatabase(url, adkDatabase);
    const adk = new DatabaseSessionService(adkUrl);
    await adk.init();
    created.push(() => (adk as unknown as { orm: { close(): Promise<void> } }).orm.close());
    const adkPool = new pg.Pool({ connectionString: adkUrl, max: 2 });
    created.push(() => adkPool.end());

    let synchronousCommit: Record<string, string> | undefined;
    if (flushOff) {
      synchronousCommit = await synchronousCommitOf(floorPool, url, adk);
      const on = Object.entries(synchronousCommit).filter(([, v]) => v !== 'off');
      if (on.length > 0) throw new Error(`flush-off arena: synchronous_commit is not off for ${on.map(([k, v]) => `${k} (${v})`).join(', ')}`);
    }

    return {
      backend: 'postgres',
      variant: flushOff ? 'flush-off' : 'standard',
      ...(synchronousCommit ? { synchronousCommit } : {}),
      contenders: [
        { system: floor, filler: sessiondbPostgresFiller(admin, pgNames(schemas.floor, '')) },
        { system: store, filler: sessiondbPostgresFiller(admin, storeNames) },
        {
          system: new AdkApiSystem('adk-service', 'postgres', 'sessiondb AdkSessionService', service, async () => {}),
          filler: sessiondbPostgresFiller(admin, serviceStore.names),
        },
        { system: new AdkApiSystem('adk', 'postgres', 'ADK DatabaseSessionService', adk, async () => {}), filler: adkPostgresFiller(adkPool) },
      ],
      dispose,
    };
  } catch (err) {
    await dispose();
    throw err;
  }
}
