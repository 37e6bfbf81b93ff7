import { ValidationError } from '../../core/errors.js';
import type { StoreBackend } from '../registry.js';
import type { MongoSearchMode } from './search.js';

/** sessiondb's own query parameters on a mongodb:// URL (removed before the URL reaches the driver). */
export interface MongoUrlOptions {
  /** The database (wins over the URL's path, which is also the default authentication database). */
  database?: string;
  collectionPrefix?: string;
  /** `true` / `false`; absent: detected from the server. */
  transactions?: boolean;
  /** `auto` (default), `text` or `scan`: how `searchEvents` finds matches. */
  search?: MongoSearchMode;
}

export type MongoLocation = { kind: 'mongodb'; url: string } & MongoUrlOptions;

const SHAPE = /^(mongodb(?:\+srv)?:\/\/)([^/?#]+)(\/[^?#]*)?(?:\?([^#]*))?$/i;
// `database_name` is the seeds' name for the database (`storage.options.database_name` in their YAML).
const OWN_PARAMS = new Set(['database', 'database_name', 'collectionprefix', 'transactions', 'search']);
const SEARCH_MODES: readonly string[] = ['auto', 'text', 'scan'];

/** `mongodb://user:password@host:27017/db` or `mongodb+srv://…`; driver options and sessiondb's (`database`, `collectionPrefix`, `transactions`, `search`) as query parameters. */
export const mongoBackend: StoreBackend<MongoLocation> = {
  name: 'mongodb',
  aliases: ['mongo'],
  schemes: ['mongodb', 'mongodb+srv'],
  example: 'mongodb://host:27017/db',
  parse(text) {
    const m = SHAPE.exec(text.trim());
    if (!m) {
      throw new ValidationError('url', 'is not a valid mongodb:// URL', 'Example: mongodb://user:password@127.0.0.1:27017/app?replicaSet=rs0 (percent-encode special characters in the password).');
    }
    const out: MongoLocation = { kind: 'mongodb', url: '' };
    const kept: string[] = [];
    for (const pair of (m[4] ?? '').split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const name = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
      const value = decodeURIComponent(eq < 0 ? '' : pair.slice(eq + 1));
      if (!OWN_PARAMS.has(name.toLowerCase())) {
        kept.push(pair);
        continue;
      }
      if (name.toLowerCase() === 'database' || name.toLowerCase() === 'database_name') out.database = value;
      else if (name.toLowerCase() === 'collectionprefix') out.collectionPrefix = value;
      else if (name.toLowerCase() === 'search') {
        if (!SEARCH_MODES.includes(value)) throw new ValidationError('url parameter "search"', `must be auto, text or scan, got "${value}"`);
        out.search = value as MongoSearchMode;
      }
      else if (value === 'true' || value === 'false') out.transactions = value === 'true';
      else if (value !== 'auto') throw new ValidationError('url parameter "transactions"', `must be true, false or auto, got "${value}"`);
    }
    out.url = `${m[1]}${m[2]}${m[3] ?? (kept.length ? '/' : '')}${kept.length ? `?${kept.join('&')}` : ''}`;
    return out;
  },
  async open({ kind: _kind, ...location }, options) {
    const { MongoStore } = await import('./mongo-store.js');
    return new MongoStore({ ...location, limits: options.limits, clock: options.clock, logger: options.logger });
  },
  urlFromSettings({ connectionString }) {
    if (!connectionString) {
      throw new ValidationError('environment variable STORAGE_CONNECTION_STRING', 'is required when STORAGE_BACKEND is mongodb', 'Example: mongodb://user:password@host:27017/db');
    }
    return connectionString;
  },
  withPool(url, pool) {
    const q = url.indexOf('?');
    const names = new Set(q < 0 ? [] : [...new URLSearchParams(url.slice(q + 1)).keys()].map((n) => n.toLowerCase()));
    const add: string[] = [];
    if (pool.min !== undefined && !names.has('minpoolsize')) add.push(`minPoolSize=${pool.min}`);
    if (pool.max !== undefined && !names.has('maxpoolsize')) add.push(`maxPoolSize=${pool.max}`);
    if (!add.length) return url;
    return `${url}${q < 0 ? (/^[a-z+]+:\/\/[^/?]*$/i.test(url) ? '/?' : '?') : '&'}${add.join('&')}`;
  },
};
