import type pg from 'pg';
import type { NewEvent } from '../../../src/core/types.js';
import type { PgNames } from '../../../src/stores/postgres/schema.js';
import { eventIndexText } from '../../../src/stores/postgres/search.js';
import { APP_NAME, storeEvent } from '../payload.js';
import type { PagePosition, SessionRef, System } from './system.js';

const EVENT_COLUMNS = 'id, seq, timestamp, author, role, invocation_id, content, state_delta, metadata';

/**
 * The raw `pg` floor, on sessiondb's own schema: one round trip per call.
 * An append is one statement that bumps the session's counters, upserts the
 * delta's keys and inserts the event (the benchmark's deltas hold
 * session-scoped keys only), with the event's search vector (its index text
 * computed in JavaScript, as the store does). Reads: one indexed query.
 */
export class PostgresFloor implements System {
  readonly kind = 'floor';
  readonly backend = 'postgres';
  readonly label = 'raw pg (floor)';
  readonly slow = false;
  readonly paging = 'keyset';
  private readonly sql;

  constructor(
    private readonly pool: pg.Pool,
    n: PgNames,
  ) {
    const key = "tenant = 'default' AND app_name = $1 AND user_id = $2 AND id = $3";
    const list = `SELECT * FROM ${n.sessions} WHERE tenant = 'default' AND app_name = $1 AND user_id = $2`;
    this.sql = {
      append: `
        WITH s AS (
          UPDATE ${n.sessions} SET event_count = event_count + 1, version = version + 1, updated_at = $4, last_activity_at = $4
           WHERE ${key} RETURNING pk, event_count
        ), st AS (
          INSERT INTO ${n.sessionState} (session_pk, key, value) SELECT s.pk, d.key, d.value FROM s, jsonb_each($9::jsonb) d
          ON CONFLICT (session_pk, key) DO UPDATE SET value = excluded.value
        )
        INSERT INTO ${n.events} (session_pk, seq, id, timestamp, author, role, invocation_id, content, state_delta, metadata, search)
        SELECT pk, event_count, $5, $4, $6, $7, $8, $10::jsonb, $9::jsonb, $11::jsonb, to_tsvector('simple', $12) FROM s`,
      create: `INSERT INTO ${n.sessions} (tenant, app_name, user_id, id, created_at, updated_at, last_activity_at) VALUES ('default', $1, $2, $3, $4, $4, $4)`,
      last: `SELECT ${EVENT_COLUMNS} FROM ${n.events} WHERE session_pk = (SELECT pk FROM ${n.sessions} WHERE ${key}) ORDER BY seq DESC LIMIT $4`,
      all: `SELECT ${EVENT_COLUMNS} FROM ${n.events} WHERE session_pk = (SELECT pk FROM ${n.sessions} WHERE ${key}) ORDER BY seq`,
      firstPage: `${list} ORDER BY updated_at, id LIMIT $3`,
      nextPage: `${list} AND (updated_at, id) > ($3, $4) ORDER BY updated_at, id LIMIT $5`,
      seek: `SELECT updated_at, id FROM ${n.sessions} WHERE tenant = 'default' AND app_name = $1 AND user_id = $2 ORDER BY updated_at, id LIMIT 1 OFFSET $3`,
    };
  }

  async createSession(ref: SessionRef): Promise<void> {
    await this.pool.query(this.sql.create, [APP_NAME, ref.userId, ref.sessionId, Date.now()]);
  }

  prepareEvent(turn: number): NewEvent {
    return storeEvent(turn);
  }

  async append(ref: SessionRef, event: unknown): Promise<void> {
    const e = event as NewEvent;
    await this.pool.query(this.sql.append, [
      APP_NAME, ref.userId, ref.sessionId, e.timestamp ?? Date.now(), e.id, e.author, e.role ?? null, e.invocationId ?? null,
      JSON.stringify(e.stateDelta ?? {}), JSON.stringify(e.content), JSON.stringify(e.metadata), eventIndexText(JSON.stringify(e.content)),
    ]);
  }

  async readLast(ref: SessionRef, n: number): Promise<number> {
    return (await this.pool.query(this.sql.last, [APP_NAME, ref.userId, ref.sessionId, n])).rowCount ?? 0;
  }

  async readAll(ref: SessionRef): Promise<number> {
    return (await this.pool.query(this.sql.all, [APP_NAME, ref.userId, ref.sessionId])).rowCount ?? 0;
  }

  async listPage(userId: string, pageSize: number, at: PagePosition): Promise<number> {
    const r =
      at.kind === 'keyset'
        ? await this.pool.query(this.sql.nextPage, [APP_NAME, userId, at.updatedAt, at.id, pageSize])
        : await this.pool.query(this.sql.firstPage, [APP_NAME, userId, pageSize]);
    return r.rowCount ?? 0;
  }

  async seekPage(userId: string, pageSize: number, page: number): Promise<PagePosition> {
    if (page === 1) return { kind: 'start' };
    const row = (await this.pool.query(this.sql.seek, [APP_NAME, userId, (page - 1) * pageSize - 1])).rows[0] as { updated_at: number; id: string };
    return { kind: 'keyset', updatedAt: row.updated_at, id: row.id };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
