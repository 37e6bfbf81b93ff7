import { existsSync } from 'node:fs';
import { ValidationError } from '../../core/errors.js';
import type { StoreBackend } from '../registry.js';

export interface SqliteLocation {
  kind: 'sqlite';
  path: string;
  synchronous?: 'normal' | 'full';
  busyTimeoutMs?: number;
}

/**
 * `sqlite:./data/sessions.db`, `sqlite:/abs/path.db`, `sqlite:///abs/path.db`,
 * `sqlite::memory:`, or a bare path ending in `.db`, `.sqlite` or `.sqlite3`;
 * options `?synchronous=full&busyTimeoutMs=10000`.
 */
export const sqliteBackend: StoreBackend<SqliteLocation> = {
  name: 'sqlite',
  schemes: ['sqlite', 'sqlite3'],
  example: 'sqlite:./path/to/file.db, sqlite::memory:',
  claimsPath: (path) => /\.(db|sqlite3?)$/i.test(path),
  parse(url) {
    const text = url.trim();
    const q = text.indexOf('?');
    const [base, query] = q < 0 ? [text, ''] : [text.slice(0, q), text.slice(q + 1)];
    if (!/^sqlite3?:/i.test(base)) return { kind: 'sqlite', path: base, ...sqliteParams(query) };
    let path = base.replace(/^sqlite3?:/i, '');
    if (path.startsWith('//')) path = path.slice(2);
    if (path === '') throw new ValidationError('url', 'names no SQLite file', 'Example: sqlite:./data/sessions.db or sqlite::memory:.');
    return { kind: 'sqlite', path: decodeURIComponent(path), ...sqliteParams(query) };
  },
  async open({ kind: _kind, ...location }, options) {
    const { SqliteStore } = await import('./sqlite-store.js');
    return new SqliteStore({ ...location, limits: options.limits, clock: options.clock });
  },
  exists: (location) => location.path === ':memory:' || existsSync(location.path),
  urlFromSettings: ({ connectionString, path }) =>
    connectionString && /^sqlite:/i.test(connectionString) ? connectionString : `sqlite:${path ?? connectionString ?? './data/sessions.db'}`,
};

function sqliteParams(query: string): { synchronous?: 'normal' | 'full'; busyTimeoutMs?: number } {
  const out: { synchronous?: 'normal' | 'full'; busyTimeoutMs?: number } = {};
  for (const [name, value] of new URLSearchParams(query)) {
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
