export { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export { SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION, type SqliteMigration } from './migrations.js';
