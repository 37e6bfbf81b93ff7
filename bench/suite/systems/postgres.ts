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

/**
 * The four PostgreSQL contenders: sessiondb's (and the floor's) tables in
 * fresh schemas of the server's database, ADK's in a fresh database of its
 * own (its table names are fixed). `dispose` drops them all.
 */
export async function postgresArena(url: string, runId: string): Promise<Arena> {
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  const schemas = { floor: `${runId}_floor`, store: `${runId}_store`, service: `${runId}_adk_service` };
  const adkDatabase = `${runId}_adk`;
  const created: (() => Promise<unknown>)[] = [];
  const dispose = async () => {
    for (const undo of created.reverse()) await undo().catch((err: Error) => console.error(`cleanup: ${err.message}`));
    await admin.end();
  };
  try {
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

    await admin.query(`CREATE DATABASE "${adkDatabase}"`);
    created.push(() => admin.query(`DROP DATABASE IF EXISTS "${adkDatabase}" WITH (FORCE)`));
    const adkUrl = onDatabase(url, adkDatabase);
    const adk = new DatabaseSessionService(adkUrl);
    await adk.init();
    created.push(() => (adk as unknown as { orm: { close(): Promise<void> } }).orm.close());
    const adkPool = new pg.Pool({ connectionString: adkUrl, max: 2 });
    created.push(() => adkPool.end());

    return {
      backend: 'postgres',
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
