import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Event } from '@google/adk';
import { loadDriver } from '../../core/driver.js';
import { SessionDbError, SessionExistsError, ValidationError } from '../../core/errors.js';
import { redactSecrets } from '../../core/redact.js';
import { APP_PREFIX, USER_PREFIX, scopeOf } from '../../core/state.js';
import type { SessionStore } from '../../core/store.js';
import type { JsonObject } from '../../core/types.js';
import { toStoreEvent } from './event-mapping.js';

export interface AdkImportOptions {
  /** The tenant to import into. Default `"default"`. */
  tenant?: string;
  /** Events per append (and per read from the source). Default 500. */
  batchSize?: number;
  /** Called after each session. */
  onSession?(progress: { appName: string; userId: string; sessionId: string; events: number }): void;
}

export interface AdkImportResult {
  sessions: number;
  /** Sessions that were already in the store (from an earlier, possibly interrupted, run). */
  resumedSessions: number;
  events: number;
  appStates: number;
  userStates: number;
}

interface AdkSessionRow {
  app_name: string;
  user_id: string;
  id: string;
  state: unknown;
  create_time: unknown;
  update_time: unknown;
}

/** Reads the tables of an ADK `DatabaseSessionService` database, in batches. */
interface AdkSource {
  sessions(): AsyncIterable<AdkSessionRow>;
  events(s: AdkSessionRow, batch: number): AsyncIterable<unknown[]>;
  appStates(): Promise<{ app_name: string; state: unknown }[]>;
  userStates(): Promise<{ app_name: string; user_id: string; state: unknown }[]>;
  close(): Promise<void>;
}

/**
 * Copies every session, event, app state and user state of an ADK
 * `DatabaseSessionService` database (SQLite `sqlite://path` or PostgreSQL
 * `postgres://…`) into a sessiondb store. Safe to run again after an
 * interruption: sessions already present are resumed and events already
 * copied are skipped by id. Session times are kept, so `lastUpdateTime` reads
 * the same through `AdkSessionService` as through ADK.
 */
export async function importAdkDatabase(fromUrl: string, store: SessionStore, options: AdkImportOptions = {}): Promise<AdkImportResult> {
  const batch = options.batchSize ?? 500;
  if (!Number.isSafeInteger(batch) || batch < 1 || batch > store.limits.maxEventsPerAppend) {
    throw new ValidationError('batchSize', `must be an integer from 1 to ${store.limits.maxEventsPerAppend}`);
  }
  const source = await openAdkSource(fromUrl);
  const result: AdkImportResult = { sessions: 0, resumedSessions: 0, events: 0, appStates: 0, userStates: 0 };
  try {
    for await (const row of source.sessions()) {
      const key = { tenant: options.tenant, appName: row.app_name, userId: row.user_id, sessionId: row.id };
      const sessionState = parseJson(row.state) as JsonObject;
      let known = 0; // events of this session already in the store
      try {
        await store.createSession({
          tenant: options.tenant,
          appName: row.app_name,
          userId: row.user_id,
          id: row.id,
          // Only the session's own keys: app and user state come from their tables below.
          state: Object.fromEntries(Object.entries(sessionState).filter(([k]) => scopeOf(k) === 'session')),
          createdAt: toMillis(row.create_time),
          updatedAt: toMillis(row.update_time),
        });
        result.sessions++;
      } catch (err) {
        if (!(err instanceof SessionExistsError)) throw err;
        result.resumedSessions++;
        known = (await store.getSession(key, { withEvents: false }))?.eventCount ?? 0;
      }
      let copied = 0;
      for await (const events of source.events(row, batch)) {
        const r = await store.appendEvents(key, events.map((data) => toStoreEvent(adkEventFromStored(data))));
        // Events copied by an earlier run come back with their old seqs: count only the new ones.
        for (const e of r.events) if (e.seq > known) copied++;
        known = Math.max(known, ...r.events.map((e) => e.seq));
      }
      result.events += copied;
      options.onSession?.({ appName: row.app_name, userId: row.user_id, sessionId: row.id, events: copied });
    }
    // Written last, so that they win over the deltas replayed with the events.
    for (const row of await source.appStates()) {
      const delta = prefixed(APP_PREFIX, parseJson(row.state) as JsonObject);
      if (Object.keys(delta).length) await store.updateAppState({ tenant: options.tenant, appName: row.app_name }, delta);
      result.appStates++;
    }
    for (const row of await source.userStates()) {
      const delta = prefixed(USER_PREFIX, parseJson(row.state) as JsonObject);
      if (Object.keys(delta).length) await store.updateUserState({ tenant: options.tenant, appName: row.app_name, userId: row.user_id }, delta);
      result.userStates++;
    }
    return result;
  } finally {
    await source.close();
  }
}

async function openAdkSource(url: string): Promise<AdkSource> {
  if (typeof url !== 'string') throw new ValidationError('fromUrl', 'must be a string');
  if (/^sqlite3?:/i.test(url)) return openSqliteSource(url.replace(/^sqlite3?:(\/\/)?/i, ''));
  if (/^postgres(ql)?:\/\//i.test(url)) return openPostgresSource(url);
  throw new ValidationError('fromUrl', `is not an ADK database URL: ${redactSecrets(url)}`, 'Use sqlite://path/to/adk.db or postgres://user:password@host/db.');
}

/** The tables and columns of ADK's schema that the import reads. */
const ADK_COLUMNS: Record<string, string[]> = {
  sessions: ['app_name', 'user_id', 'id', 'state', 'create_time', 'update_time'],
  events: ['app_name', 'user_id', 'session_id', 'timestamp', 'event_data'],
  app_states: ['app_name', 'state'],
  user_states: ['app_name', 'user_id', 'state'],
};

/** Throws, naming what is missing, unless every table and column the import reads is there. */
async function checkAdkSchema(where: string, columnsOf: (table: string) => Promise<string[]>): Promise<void> {
  const missing: string[] = [];
  for (const [table, wanted] of Object.entries(ADK_COLUMNS)) {
    const have = new Set(await columnsOf(table));
    if (!have.size) missing.push(`no table ${table}`);
    else for (const column of wanted) if (!have.has(column)) missing.push(`table ${table} has no column ${column}`);
  }
  if (!missing.length) return;
  throw new ValidationError(
    'fromUrl',
    `${where} is not a Google ADK DatabaseSessionService database: ${missing.join(', ')}`,
    `Expected the tables ADK creates: ${Object.entries(ADK_COLUMNS).map(([t, c]) => `${t} (${c.join(', ')})`).join('; ')}.`,
  );
}

async function openSqliteSource(path: string): Promise<AdkSource> {
  const { default: Driver } = await loadDriver('better-sqlite3', 'Importing an ADK SQLite database', () => import('better-sqlite3'));
  const where = resolve(path);
  if (!existsSync(path)) {
    throw new SessionDbError('not_found', `No ADK database at ${where}: the file does not exist. Give the SQLite file ADK's DatabaseSessionService writes, as sqlite://path/to/file.db.`, {
      field: 'fromUrl',
    });
  }
  const db = new Driver(path, { readonly: true, fileMustExist: true });
  try {
    await checkAdkSchema(where, async (table) => (db.prepare('SELECT name FROM pragma_table_info(?)').all(table) as { name: string }[]).map((r) => r.name));
  } catch (err) {
    db.close();
    if (err instanceof SessionDbError) throw err;
    throw new ValidationError('fromUrl', `${where} cannot be read as a SQLite database (${(err as Error).message})`);
  }
  return {
    async *sessions() {
      const page = db.prepare(
        'SELECT app_name, user_id, id, state, create_time, update_time FROM sessions WHERE (app_name, user_id, id) > (?, ?, ?) ORDER BY app_name, user_id, id LIMIT 200',
      );
      let after = ['', '', ''];
      for (;;) {
        const rows = page.all(...after) as AdkSessionRow[];
        yield* rows;
        if (rows.length < 200) return;
        const last = rows[rows.length - 1]!;
        after = [last.app_name, last.user_id, last.id];
      }
    },
    async *events(s, batch) {
      const page = db.prepare(
        `SELECT rowid, timestamp, event_data FROM events WHERE app_name = ? AND user_id = ? AND session_id = ?
           AND (timestamp, rowid) > (?, ?) ORDER BY timestamp, rowid LIMIT ?`,
      );
      let after: [number, number] = [-Infinity, -1];
      for (;;) {
        const rows = page.all(s.app_name, s.user_id, s.id, ...after, batch) as { rowid: number; timestamp: number; event_data: string }[];
        if (rows.length) yield rows.map((r) => r.event_data);
        if (rows.length < batch) return;
        const last = rows[rows.length - 1]!;
        after = [last.timestamp, last.rowid];
      }
    },
    async appStates() {
      return db.prepare('SELECT app_name, state FROM app_states ORDER BY app_name').all() as { app_name: string; state: unknown }[];
    },
    async userStates() {
      return db.prepare('SELECT app_name, user_id, state FROM user_states ORDER BY app_name, user_id').all() as {
        app_name: string;
        user_id: string;
        state: unknown;
      }[];
    },
    async close() {
      db.close();
    },
  };
}

async function openPostgresSource(url: string): Promise<AdkSource> {
  const pgModule = await loadDriver('pg', 'Importing an ADK PostgreSQL database', () => import('pg'));
  const pg = (pgModule as { default?: typeof import('pg').default }).default ?? (pgModule as unknown as typeof import('pg').default);
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (err) {
    throw new ValidationError('fromUrl', `cannot connect to ${redactSecrets(url)}: ${redactSecrets((err as Error).message)}`);
  }
  try {
    await checkAdkSchema(redactSecrets(url), async (table) => {
      const { rows } = await client.query(
        'SELECT column_name FROM information_schema.columns WHERE table_name = $1 AND table_schema = ANY (current_schemas(false))',
        [table],
      );
      return rows.map((r: { column_name: string }) => r.column_name);
    });
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  return {
    async *sessions() {
      let after = ['', '', ''];
      for (;;) {
        const { rows } = await client.query(
          `SELECT app_name, user_id, id, state, create_time, update_time FROM sessions
            WHERE (app_name COLLATE "C", user_id COLLATE "C", id COLLATE "C") > ($1, $2, $3)
            ORDER BY app_name COLLATE "C", user_id COLLATE "C", id COLLATE "C" LIMIT 200`,
          after,
        );
        yield* rows as AdkSessionRow[];
        if (rows.length < 200) return;
        const last = rows[rows.length - 1] as AdkSessionRow;
        after = [last.app_name, last.user_id, last.id];
      }
    },
    async *events(s, batch) {
      let offset = 0;
      for (;;) {
        const { rows } = await client.query(
          `SELECT event_data FROM events WHERE app_name = $1 AND user_id = $2 AND session_id = $3
            ORDER BY timestamp, id COLLATE "C" LIMIT $4 OFFSET $5`,
          [s.app_name, s.user_id, s.id, batch, offset],
        );
        if (rows.length) yield rows.map((r: { event_data: unknown }) => r.event_data);
        if (rows.length < batch) return;
        offset += rows.length;
      }
    },
    async appStates() {
      return (await client.query('SELECT app_name, state FROM app_states ORDER BY app_name')).rows;
    },
    async userStates() {
      return (await client.query('SELECT app_name, user_id, state FROM user_states ORDER BY app_name, user_id')).rows;
    },
    async close() {
      await client.end();
    },
  };
}

/** JSON columns arrive as text (SQLite) or parsed (PostgreSQL jsonb). */
function parseJson(value: unknown): unknown {
  if (value == null) return {};
  return typeof value === 'string' ? JSON.parse(value) : value;
}

function toMillis(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  const parsed = Date.parse(String(value));
  if (Number.isNaN(parsed)) throw new ValidationError('update_time', `is not a time: ${JSON.stringify(value)}`);
  return parsed;
}

function prefixed(prefix: string, state: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(state)) Object.defineProperty(out, prefix + k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

// ADK stores events with snake_case keys, except inside these paths, which hold
// user data (state deltas, tool arguments and results…) kept exactly as written.
const VERBATIM_PATHS = new Set([
  'actions.state_delta',
  'actions.artifact_delta',
  'actions.requested_auth_configs',
  'actions.requested_tool_confirmations',
  'actions.custom_metadata',
  'actions.agent_state',
  'custom_metadata',
  'content.parts.function_call.args',
  'content.parts.function_response.response',
  'output',
  'route',
]);

/** An ADK event from its stored (snake_case) JSON. */
export function adkEventFromStored(data: unknown): Event {
  return camelize(parseJson(data), '') as Event;
}

function camelize(value: unknown, path: string): unknown {
  if (Array.isArray(value)) return value.map((v) => camelize(v, path));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const childPath = path ? `${path}.${key}` : key;
    const name = key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    Object.defineProperty(out, name, {
      value: VERBATIM_PATHS.has(childPath) ? v : camelize(v, childPath),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
