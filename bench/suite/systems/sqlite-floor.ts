import type { Database, Statement } from 'better-sqlite3';
import { indexText, searchableText } from '../../../src/core/search/text.js';
import type { NewEvent } from '../../../src/core/types.js';
import { BUFFER_SQL, INDEX_BUFFER_ROWS } from '../../../src/stores/sqlite/index-buffer.js';
import { APP_NAME, storeEvent } from '../payload.js';
import type { PagePosition, SessionRef, System } from './system.js';

const TENANT = 'default';
const EVENT_COLUMNS = 'id, seq, timestamp, author, role, invocation_id, content, state_delta, metadata';

interface EventRow {
  content: string | null;
  state_delta: string | null;
  metadata: string | null;
}

/** Parses the JSON columns, as any reader that returns objects must. */
function parseEvents(rows: EventRow[]): number {
  for (const r of rows) {
    if (r.content !== null) JSON.parse(r.content);
    if (r.state_delta !== null) JSON.parse(r.state_delta);
    if (r.metadata !== null) JSON.parse(r.metadata);
  }
  return rows.length;
}

/**
 * The raw better-sqlite3 floor, on sessiondb's own schema (created by the
 * store's migrations, so both do identical index work) and with the store's
 * pragmas (WAL, synchronous=NORMAL). Writes: one IMMEDIATE transaction per call
 * doing the same rows as the store, its search index included. Reads: one indexed query, JSON columns parsed.
 */
export class SqliteFloor implements System {
  readonly kind = 'floor';
  readonly backend = 'sqlite';
  readonly label = 'raw better-sqlite3 (floor)';
  readonly slow = false;
  readonly paging = 'keyset';
  private readonly appendTx: (ref: SessionRef, e: NewEvent) => void;
  private readonly createTx: (ref: SessionRef) => void;
  private readonly lastEvents: Statement;
  private readonly allEvents: Statement;
  private readonly firstPage: Statement;
  private readonly nextPage: Statement;
  private readonly seek: Statement;

  constructor(private readonly db: Database) {
    const find = db.prepare('SELECT pk, event_count FROM sessions WHERE tenant = ? AND app_name = ? AND user_id = ? AND id = ?');
    const insertEvent = db.prepare(
      'INSERT INTO events (session_pk, seq, id, timestamp, author, role, invocation_id, content, state_delta, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const upsertState = db.prepare(
      'INSERT INTO session_state (session_pk, key, value) VALUES (?, ?, ?) ON CONFLICT (session_pk, key) DO UPDATE SET value = excluded.value',
    );
    const afterAppend = db.prepare('UPDATE sessions SET event_count = ?, updated_at = ?, last_activity_at = ?, version = version + 1 WHERE pk = ?');
    const insertSession = db.prepare(
      'INSERT INTO sessions (tenant, app_name, user_id, id, created_at, updated_at, last_activity_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    // The search index as the store writes it (index-buffer.ts): the event's index text to the
    // buffer table, moved into FTS5 by the append that fills the buffer.
    const buffer = db.prepare(BUFFER_SQL.bufferEvent);
    const buffered = db.prepare(BUFFER_SQL.bufferedRows).pluck();
    const flush = db.prepare(BUFFER_SQL.flushBuffer);
    const clear = db.prepare(BUFFER_SQL.clearBuffer);
    // The benchmark's deltas hold session-scoped keys only, so the floor upserts session state only.
    const append = db.transaction((ref: SessionRef, e: NewEvent) => {
      const s = find.get(TENANT, APP_NAME, ref.userId, ref.sessionId) as { pk: number; event_count: number };
      const seq = s.event_count + 1;
      const ts = e.timestamp ?? Date.now();
      const row = insertEvent.run(s.pk, seq, e.id, ts, e.author, e.role ?? null, e.invocationId ?? null, JSON.stringify(e.content), JSON.stringify(e.stateDelta), JSON.stringify(e.metadata));
      buffer.run(row.lastInsertRowid, indexText(searchableText(e.content)));
      if ((buffered.get() as number) >= INDEX_BUFFER_ROWS) flush.run(), clear.run();
      for (const [key, value] of Object.entries(e.stateDelta ?? {})) upsertState.run(s.pk, key, JSON.stringify(value));
      afterAppend.run(seq, ts, ts, s.pk);
    });
    this.appendTx = (ref, e) => append.immediate(ref, e);
    const create = db.transaction((ref: SessionRef) => {
      const now = Date.now();
      insertSession.run(TENANT, APP_NAME, ref.userId, ref.sessionId, now, now, now);
    });
    this.createTx = (ref) => create.immediate(ref);
    const sessionPk = '(SELECT pk FROM sessions WHERE tenant = ? AND app_name = ? AND user_id = ? AND id = ?)';
    this.lastEvents = db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE session_pk = ${sessionPk} ORDER BY seq DESC LIMIT ?`);
    this.allEvents = db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE session_pk = ${sessionPk} ORDER BY seq`);
    const list = 'SELECT * FROM sessions WHERE tenant = ? AND app_name = ? AND user_id = ?';
    this.firstPage = db.prepare(`${list} ORDER BY updated_at, id LIMIT ?`);
    this.nextPage = db.prepare(`${list} AND (updated_at, id) > (?, ?) ORDER BY updated_at, id LIMIT ?`);
    this.seek = db.prepare(`SELECT updated_at, id FROM sessions WHERE tenant = ? AND app_name = ? AND user_id = ? ORDER BY updated_at, id LIMIT 1 OFFSET ?`);
  }

  async createSession(ref: SessionRef): Promise<void> {
    this.createTx(ref);
  }

  prepareEvent(turn: number): NewEvent {
    return storeEvent(turn);
  }

  async append(ref: SessionRef, event: unknown): Promise<void> {
    this.appendTx(ref, event as NewEvent);
  }

  async readLast(ref: SessionRef, n: number): Promise<number> {
    return parseEvents(this.lastEvents.all(TENANT, APP_NAME, ref.userId, ref.sessionId, n) as EventRow[]);
  }

  async readAll(ref: SessionRef): Promise<number> {
    return parseEvents(this.allEvents.all(TENANT, APP_NAME, ref.userId, ref.sessionId) as EventRow[]);
  }

  async listPage(userId: string, pageSize: number, at: PagePosition): Promise<number> {
    const rows = (
      at.kind === 'keyset'
        ? this.nextPage.all(TENANT, APP_NAME, userId, at.updatedAt, at.id, pageSize)
        : this.firstPage.all(TENANT, APP_NAME, userId, pageSize)
    ) as { metadata: string }[];
    for (const r of rows) JSON.parse(r.metadata);
    return rows.length;
  }

  async seekPage(userId: string, pageSize: number, page: number): Promise<PagePosition> {
    if (page === 1) return { kind: 'start' };
    const last = this.seek.get(TENANT, APP_NAME, userId, (page - 1) * pageSize - 1) as { updated_at: number; id: string };
    return { kind: 'keyset', updatedAt: last.updated_at, id: last.id };
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
