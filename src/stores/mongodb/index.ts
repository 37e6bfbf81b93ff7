export { MongoStore, type MongoConnectionInfo, type MongoStoreOptions } from './mongo-store.js';
export type { MongoTopology } from './topology.js';
export { MONGO_INDEXES, MONGO_MIGRATIONS, MONGO_SCHEMA_VERSION } from './schema.js';
