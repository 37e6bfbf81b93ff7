/**
 * What the SQLite store writes to its full-text indexes (`event_index`,
 * `title_index`, FTS5 tables of migration 4), and the build of those indexes
 * over rows stored before them (migration 5).
 */
import type { Database } from 'better-sqlite3';
import { parseStored } from '../../core/json.js';
import { indexText, searchableText, sessionTitle } from '../../core/search/text.js';

/** The indexed text of an event, from its stored content (JSON text). */
export function eventIndexText(content: string | null): string {
  return content === null ? '' : indexText(searchableText(parseStored(content)));
}

/** The indexed text of a session's title, from its stored metadata (JSON text); null when it has no title (no index row). */
export function titleIndexText(metadata: string): string | null {
  const parsed = JSON.parse(metadata) as Record<string, unknown>;
  return typeof parsed['title'] === 'string' ? indexText(sessionTitle(parsed)) : null;
}

interface BuildRow {
  what: 'events' | 'titles';
  after_pk: number;
  done: number;
}

const TITLED = `json_type(metadata, '$.title') = 'text'`;

function progress(db: Database): BuildRow[] {
  return db.prepare('SELECT what, after_pk, done FROM search_index_build ORDER BY what').all() as BuildRow[];
}

/**
 * Rows indexed so far and rows to index in all. The events left are counted
 * once per `migrate()` call (a plain `count(*)` walks the smallest index).
 */
export function searchIndexBacklog(db: Database): { done: number; total: number } {
  let done = 0;
  let left = 0;
  for (const row of progress(db)) {
    done += row.done;
    const where = row.what === 'events' ? (row.after_pk ? 'WHERE pk > ?' : '') : `WHERE pk > ? AND ${TITLED}`;
    const params = row.what === 'titles' || row.after_pk ? [row.after_pk] : [];
    left += db.prepare(`SELECT count(*) FROM ${row.what === 'events' ? 'events' : 'sessions'} ${where}`).pluck().get(...params) as number;
  }
  return { done, total: done + left };
}

/**
 * Indexes up to `size` stored rows past the high-water mark (events first,
 * then titles) and moves the mark, inside the caller's transaction. Rows
 * written meanwhile by an older sessiondb (which does not index) are past the
 * mark and are indexed too; this store's writers wait for the schema version
 * the last batch records.
 */
export function buildSearchIndex(db: Database, size: number): { done: number; finished: boolean } {
  const state = progress(db);
  const events = state.find((r) => r.what === 'events')!;
  const titles = state.find((r) => r.what === 'titles')!;
  const save = db.prepare('UPDATE search_index_build SET after_pk = ?, done = ? WHERE what = ?');
  const rows = db.prepare('SELECT pk, content FROM events WHERE pk > ? ORDER BY pk LIMIT ?').raw().all(events.after_pk, size) as [number, string | null][];
  if (rows.length) {
    const insert = db.prepare('INSERT INTO event_index (rowid, body) VALUES (?, ?)');
    for (const [pk, content] of rows) insert.run(pk, eventIndexText(content));
    save.run(rows[rows.length - 1]![0], events.done + rows.length, 'events');
    return { done: events.done + rows.length + titles.done, finished: false };
  }
  const sessions = db.prepare(`SELECT pk, metadata FROM sessions WHERE pk > ? AND ${TITLED} ORDER BY pk LIMIT ?`).raw().all(titles.after_pk, size) as [number, string][];
  if (sessions.length) {
    const insert = db.prepare('INSERT INTO title_index (rowid, body) VALUES (?, ?)');
    for (const [pk, metadata] of sessions) insert.run(pk, titleIndexText(metadata) ?? '');
    save.run(sessions[sessions.length - 1]![0], titles.done + sessions.length, 'titles');
    return { done: events.done + titles.done + sessions.length, finished: false };
  }
  db.exec('DROP TABLE search_index_build');
  return { done: events.done + titles.done, finished: true };
}
