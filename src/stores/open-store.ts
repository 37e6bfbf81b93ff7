import type { Clock } from '../core/clock.js';
import { ValidationError } from '../core/errors.js';
import type { Limits } from '../core/limits.js';
import type { SessionStore } from '../core/store.js';

/** Options `openStore` passes to whichever store the URL names. */
export interface OpenStoreOptions {
  limits?: Partial<Limits>;
  clock?: Clock;
  /** Run `migrate()` before returning (default true). */
  migrate?: boolean;
}

/** What a store URL means, before any store is loaded. */
export type StoreLocation =
  | { kind: 'memory' }
  | { kind: 'sqlite'; path: string; synchronous?: 'normal' | 'full'; busyTimeoutMs?: number };

const SUPPORTED = 'memory:, sqlite:./path/to/file.db, sqlite::memory:';

/**
 * Parses a store URL:
 * - `memory:` — the in-memory reference store;
 * - `sqlite:./data/sessions.db`, `sqlite:/abs/path.db`, `sqlite:///abs/path.db`,
 *   `sqlite::memory:`; query options `?synchronous=full&busyTimeoutMs=10000`;
 * - a bare path ending in `.db`, `.sqlite` or `.sqlite3` is a SQLite file.
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
