export { PostgresStore, type PostgresStoreOptions } from './postgres-store.js';
export { PG_MIGRATIONS, PG_SCHEMA_VERSION, type PgMigration } from './schema.js';
