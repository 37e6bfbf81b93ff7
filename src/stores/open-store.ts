import type { Clock } from '../core/clock.js';
import { ValidationError } from '../core/errors.js';
import type { Limits } from '../core/limits.js';
import type { Logger } from '../core/logger.js';
import type { SessionStore } from '../core/store.js';
import { isRedisUrl, parseRedisUrl, type RedisConnectionOptions } from './redis/url.js';

/** Options `openStore` passes to whichever store the URL names. */
export interface OpenStoreOptions {
  limits?: Partial<Limits>;
  clock?: Clock;
  logger?: Logger;
  /** Run `migrate()` before returning (default true). */
  migrate?: boolean;
  /** For `http://` and `https://` URLs (a sessiondb server): the API key. Default: the `SESSIONDB_API_KEY` environment variable. */
  apiKey?: string;
}

/** What a store URL means, before any store is loaded. */
export type StoreLocation =
  | { kind: 'memory' }
  | { kind: 'sqlite'; path: string; synchronous?: 'normal' | 'full'; busyTimeoutMs?: number }
  | { kind: 'file'; dir: string }
  | { kind: 'http'; url: string }
  | ({ kind: 'postgres'; connectionString: string } & PostgresUrlOptions)
  | ({ kind: 'redis' } & RedisConnectionOptions);

/** sessiondb's own query parameters on a postgres:// URL (removed before the URL reaches pg). */
export interface PostgresUrlOptions {
  schema?: string;
  tablePrefix?: string;
  min?: number;
  max?: number;
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
  idleTimeoutMs?: number;
  migrationConnectionString?: string;
}

const PG_INTEGER_PARAMS = ['min', 'max', 'connectTimeoutMs', 'statementTimeoutMs', 'idleTimeoutMs'] as const;
const PG_TEXT_PARAMS = { schema: 'schema', tablePrefix: 'tablePrefix', migrationUrl: 'migrationConnectionString' } as const;

const SUPPORTED = 'memory:, sqlite:./path/to/file.db, sqlite::memory:, file:./path/to/dir, postgres://user:password@host:5432/db, http://host:8787 (a sessiondb server)';

/**
 * Parses a store URL:
 * - `memory:` — the in-memory reference store;
 * - `sqlite:./data/sessions.db`, `sqlite:/abs/path.db`, `sqlite:///abs/path.db`,
 *   `sqlite::memory:`; query options `?synchronous=full&busyTimeoutMs=10000`;
 * - a bare path ending in `.db`, `.sqlite` or `.sqlite3` is a SQLite file;
 * - `http://host:8787`, `https://…` — a sessiondb server, through `HttpStore`.
 */
export function parseStoreUrl(url: string): StoreLocation {
  if (typeof url !== 'string' || url.trim() === '') {
    throw new ValidationError('url', 'is empty', `Give a store URL such as ${SUPPORTED}.`);
  }
  const text = url.trim();
  if (text === 'memory:' || text === 'memory://' || text === 'memory') return { kind: 'memory' };
  const [base, query = ''] = splitOnce(text, '?');
  if (/^sqlite3?:/i.test(base)) {
    let path = base.replace(/^sqlite3?:/i, '');
    if (path.startsWith('//')) path = path.slice(2);
    if (path === '') throw new ValidationError('url', 'names no SQLite file', 'Example: sqlite:./data/sessions.db or sqlite::memory:.');
    return { kind: 'sqlite', path: decodeURIComponent(path), ...sqliteParams(query) };
  }
  if (/^postgres(ql)?:\/\//i.test(base)) return parsePostgresUrl(text);
  if (isRedisUrl(text)) return { kind: 'redis', ...parseRedisUrl(text) };
  if (/^https?:\/\//i.test(base)) return { kind: 'http', url: text };
  if (/^file:/i.test(base)) {
    if (query) throw new ValidationError('url', 'file: URLs take no parameters');
    let dir = base.replace(/^file:/i, '');
    if (dir.startsWith('//')) dir = dir.slice(2);
    if (dir === '') throw new ValidationError('url', 'names no directory', 'Example: file:./data/sessions.');
    return { kind: 'file', dir: decodeURIComponent(dir) };
  }
  if (!/^[a-z][a-z0-9+.-]*:/i.test(base) || /^[a-z]:[\\/]/i.test(base)) {
    if (/\.(db|sqlite3?)$/i.test(base)) return { kind: 'sqlite', path: base, ...sqliteParams(query) };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(base)?.[1];
  throw new ValidationError(
    'url',
    scheme ? `uses the scheme "${scheme}:", which this version of sessiondb does not support` : 'is not a store URL',
    `Supported: ${SUPPORTED}.`,
  );
}

function parsePostgresUrl(text: string): StoreLocation {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ValidationError('url', 'is not a valid postgres:// URL', 'Example: postgres://user:password@127.0.0.1:5432/app (percent-encode special characters in the password).');
  }
  const out: { kind: 'postgres'; connectionString: string } & PostgresUrlOptions = { kind: 'postgres', connectionString: '' };
  for (const name of PG_INTEGER_PARAMS) {
    const value = url.searchParams.get(name);
    if (value === null) continue;
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 0) throw new ValidationError(`url parameter "${name}"`, `must be a non-negative integer, got "${value}"`);
    out[name] = n;
    url.searchParams.delete(name);
  }
  for (const [name, option] of Object.entries(PG_TEXT_PARAMS) as [string, 'schema' | 'tablePrefix' | 'migrationConnectionString'][]) {
    const value = url.searchParams.get(name);
    if (value === null) continue;
    out[option] = value;
    url.searchParams.delete(name);
  }
  out.connectionString = url.toString();
  return out;
}

function splitOnce(text: string, sep: string): [string, string | undefined] {
  const i = text.indexOf(sep);
  return i < 0 ? [text, undefined] : [text.slice(0, i), text.slice(i + 1)];
}

function sqliteParams(query: string): { synchronous?: 'normal' | 'full'; busyTimeoutMs?: number } {
  const params = new URLSearchParams(query);
  const out: { synchronous?: 'normal' | 'full'; busyTimeoutMs?: number } = {};
  for (const [name, value] of params) {
    if (name === 'synchronous') {
      const v = value.toLowerCase();
      if (v !== 'normal' && v !== 'full') throw new ValidationError('url synchronous', `must be "normal" or "full", got "${value}"`);
      out.synchronous = v;
    } else if (name === 'busyTimeoutMs') {
      const n = Number(value);
      if (!Number.isSafeInteger(n) || n < 0) throw new ValidationError('url busyTimeoutMs', `must be a non-negative integer, got "${value}"`);
      out.busyTimeoutMs = n;
    } else {
      throw new ValidationError(`url parameter "${name}"`, 'is not a SQLite option', 'Known: synchronous, busyTimeoutMs.');
    }
  }
  return out;
}

/**
 * Opens the store a URL names, migrated and ready. Stores load their drivers
 * only here, so importing sessiondb loads none.
 *
 * @example
 * const store = await openStore('sqlite:./data/sessions.db');
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<SessionStore> {
  const location = parseStoreUrl(url);
  const common = { limits: options.limits, clock: options.clock };
  let store: SessionStore;
  if (location.kind === 'memory') {
    const { MemoryStore } = await import('./memory/memory-store.js');
    store = new MemoryStore(common);
  } else if (location.kind === 'file') {
    const { JsonFileStore } = await import('./file/file-store.js');
    store = new JsonFileStore({ ...common, dir: location.dir });
  } else if (location.kind === 'http') {
    const { HttpStore } = await import('../client/http-store.js');
    store = new HttpStore({ url: location.url, apiKey: options.apiKey ?? process.env['SESSIONDB_API_KEY'], limits: options.limits });
  } else if (location.kind === 'postgres') {
    const { PostgresStore } = await import('./postgres/postgres-store.js');
    const { kind: _kind, ...postgres } = location;
    store = new PostgresStore({ ...common, logger: options.logger, ...postgres });
  } else if (location.kind === 'redis') {
    const { RedisStore } = await import('./redis/redis-store.js');
    const { kind: _kind, ...redis } = location;
    store = new RedisStore({ ...common, logger: options.logger, ...redis });
  } else {
    const { SqliteStore } = await import('./sqlite/sqlite-store.js');
    const { kind: _kind, ...sqlite } = location;
    store = new SqliteStore({ ...common, ...sqlite });
  }
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
