import type { SessionStore } from '../core/store.js';
import { fileBackend } from './file/registration.js';
import { memoryBackend } from './memory/registration.js';
import { mongoBackend, type MongoLocation } from './mongodb/registration.js';
import type { PostgresLocation } from './postgres/registration.js';
import { postgresBackend } from './postgres/registration.js';
import { redisBackend, type RedisLocation } from './redis/registration.js';
import { backendForUrl, registerStoreBackend, type OpenStoreOptions } from './registry.js';
import type { SqliteLocation } from './sqlite/registration.js';
import { sqliteBackend } from './sqlite/registration.js';

export type { OpenStoreOptions } from './registry.js';
export type { PostgresUrlOptions } from './postgres/registration.js';

registerStoreBackend(memoryBackend);
registerStoreBackend(sqliteBackend);
registerStoreBackend(fileBackend);
registerStoreBackend(postgresBackend);
registerStoreBackend(mongoBackend);
registerStoreBackend(redisBackend);

/** What a store URL means, before any store is loaded (the built-in kinds; a registered backend's own kinds parse to its own shape). */
export type StoreLocation =
  | { kind: 'memory' }
  | SqliteLocation
  | { kind: 'file'; dir: string }
  | { kind: 'http'; url: string }
  | PostgresLocation
  | MongoLocation
  | RedisLocation;

/**
 * Parses a store URL with the backend registered for its scheme:
 * - `memory:` — the in-memory reference store;
 * - `sqlite:./data/sessions.db`, `sqlite:/abs/path.db`, `sqlite:///abs/path.db`,
 *   `sqlite::memory:`; query options `?synchronous=full&busyTimeoutMs=10000`;
 * - a bare path ending in `.db`, `.sqlite` or `.sqlite3` is a SQLite file;
 * - `file:./data/sessions` — JSON files in a directory;
 * - `postgres://…` — PostgreSQL;
 * - `mongodb://…`, `mongodb+srv://…` — MongoDB;
 * - `http://host:8787`, `https://…` — a sessiondb server, through `HttpStore`.
 */
export function parseStoreUrl(url: string): StoreLocation {
  return backendForUrl(url).parse(url.trim()) as StoreLocation;
}

/**
 * Opens the store a URL names, migrated and ready. Stores load their drivers
 * only here, so importing sessiondb loads none.
 *
 * @example
 * const store = await openStore('sqlite:./data/sessions.db');
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<SessionStore> {
  const backend = backendForUrl(url);
  const store = await backend.open(backend.parse(url.trim()), options);
  if (options.migrate !== false) {
    try {
      await store.migrate();
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  return store;
}
