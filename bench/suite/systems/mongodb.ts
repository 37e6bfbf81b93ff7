import { MongoClient } from 'mongodb';
import { AdkSessionService } from '../../../src/adapters/adk/index.js';
import { MongoStore } from '../../../src/stores/mongodb/index.js';
import { sessiondbMongoFiller } from '../fill/mongodb.js';
import { AdkApiSystem } from './adk-api.js';
import { MongoFloor } from './mongodb-floor.js';
import { StoreSystem } from './store.js';
import type { Arena } from './system.js';

/** Connections per system: one per concurrent writer. */
const POOL_SIZE = 8;

/**
 * The MongoDB contenders on the server at `url` (MONGODB_URL), each in a fresh
 * database of its own, dropped by `dispose`: the raw-driver floor (on the
 * store's collections and indexes), MongoStore, and AdkSessionService on a
 * MongoStore. Google ADK has no MongoDB session service, so there is no ADK
 * anchor here.
 */
export async function mongoArena(url: string, runId: string): Promise<Arena> {
  const names = { floor: `${runId}_floor`, store: `${runId}_store`, service: `${runId}_adk_service` };
  const admin = new MongoClient(url, { maxPoolSize: 2 });
  const closers: (() => Promise<unknown>)[] = [];
  const dispose = async () => {
    for (const close of closers.reverse()) await close().catch((err: Error) => console.error(`cleanup: ${err.message}`));
    for (const name of Object.values(names)) await admin.db(name).dropDatabase().catch((err: Error) => console.error(`cleanup: ${err.message}`));
    await admin.close();
  };
  const migrated = async (database: string) => {
    const store = new MongoStore({ url, database, maxPoolSize: POOL_SIZE });
    await store.migrate();
    closers.push(() => store.close());
    return store;
  };
  try {
    const floorSchema = await migrated(names.floor); // the store's own collections and indexes, for the floor
    const { transactions } = await floorSchema.connectionInfo();
    const floorClient = new MongoClient(url, { maxPoolSize: POOL_SIZE, writeConcern: { w: 'majority' }, readConcern: { level: 'majority' } });
    closers.push(() => floorClient.close());
    const floor = new MongoFloor(floorClient, floorClient.db(names.floor), transactions);
    const store = new StoreSystem('mongodb', 'MongoStore', await migrated(names.store));
    const serviceStore = await migrated(names.service);
    const service = new AdkApiSystem('adk-service', 'mongodb', 'sessiondb AdkSessionService', new AdkSessionService(serviceStore), async () => {});
    return {
      backend: 'mongodb',
      variant: 'standard',
      contenders: [
        { system: floor, filler: sessiondbMongoFiller(admin.db(names.floor)) },
        { system: store, filler: sessiondbMongoFiller(admin.db(names.store)) },
        { system: service, filler: sessiondbMongoFiller(admin.db(names.service)) },
      ],
      dispose,
    };
  } catch (err) {
    await dispose();
    throw err;
  }
}
