import { ValidationError } from '../../core/errors.js';
import type { StoreBackend } from '../registry.js';

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
  searchConfig?: string;
}

export type PostgresLocation = { kind: 'postgres'; connectionString: string } & PostgresUrlOptions;

const INTEGER_PARAMS = ['min', 'max', 'connectTimeoutMs', 'statementTimeoutMs', 'idleTimeoutMs'] as const;
const TEXT_PARAMS = { schema: 'schema', tablePrefix: 'tablePrefix', migrationUrl: 'migrationConnectionString', searchConfig: 'searchConfig' } as const;

/** `postgres://user:password@host:5432/db` (or `postgresql://`), with sessiondb's options as query parameters. */
export const postgresBackend: StoreBackend<PostgresLocation> = {
  name: 'postgres',
  aliases: ['postgresql'],
  schemes: ['postgres', 'postgresql'],
  example: 'postgres://user@host:5432/db',
  parse(text) {
    let url: URL;
    try {
      url = new URL(text.trim());
    } catch {
      throw new ValidationError('url', 'is not a valid postgres:// URL', 'Example: postgres://user:password@127.0.0.1:5432/app (percent-encode special characters in the password).');
    }
    const out: PostgresLocation = { kind: 'postgres', connectionString: '' };
    for (const name of INTEGER_PARAMS) {
      const value = url.searchParams.get(name);
      if (value === null) continue;
      const n = Number(value);
      if (!Number.isSafeInteger(n) || n < 0) throw new ValidationError(`url parameter "${name}"`, `must be a non-negative integer, got "${value}"`);
      out[name] = n;
      url.searchParams.delete(name);
    }
    for (const [name, option] of Object.entries(TEXT_PARAMS) as [string, (typeof TEXT_PARAMS)[keyof typeof TEXT_PARAMS]][]) {
      const value = url.searchParams.get(name);
      if (value === null) continue;
      out[option] = value;
      url.searchParams.delete(name);
    }
    out.connectionString = url.toString();
    return out;
  },
  async open({ kind: _kind, ...location }, options) {
    const { PostgresStore } = await import('./postgres-store.js');
    return new PostgresStore({ ...location, limits: options.limits, clock: options.clock, logger: options.logger });
  },
  urlFromSettings({ connectionString }) {
    if (!connectionString) {
      throw new ValidationError('environment variable STORAGE_CONNECTION_STRING', 'is required when STORAGE_BACKEND is postgres', 'Example: postgres://user:password@host:5432/db');
    }
    return connectionString;
  },
  withPool(text, pool) {
    const url = new URL(text);
    if (pool.min !== undefined && !url.searchParams.has('min')) url.searchParams.set('min', String(pool.min));
    if (pool.max !== undefined && !url.searchParams.has('max')) url.searchParams.set('max', String(pool.max));
    return url.toString();
  },
};
