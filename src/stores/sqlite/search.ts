/**
 * Search on the FTS5 indexes: a parsed query compiled to an FTS5 MATCH
 * expression, and the SQL of each filter shape. Ranking is FTS5's bm25().
 */
import type { PreparedSearch, SearchShape } from '../../core/search/prepare.js';

export { searchShape, type SearchShape } from '../../core/search/prepare.js';
import type { SearchClause, SearchTree } from '../../core/search/query.js';

/** One clause as an FTS5 phrase. */
export function phrase(c: SearchClause): string {
  // Words hold letters and digits only (core/search/query.ts), so quoting them is enough:
  // no FTS5 operator, column filter or quote can come from the user's text.
  return `"${c.words.join(' ')}"${c.prefix ? ' *' : ''}`;
}

/** The FTS5 MATCH expression of a parsed query: every must clause, none of the not clauses. */
export function matchExpression(tree: SearchTree): string {
  const must = tree.must.map(phrase).join(' AND ');
  return tree.not.length ? `(${must}) NOT (${tree.not.map(phrase).join(' OR ')})` : must;
}


function sessionFilters(shape: SearchShape): string {
  let sql = 's.tenant = ?';
  if (shape.app) sql += ' AND s.app_name = ?';
  if (shape.user) sql += ' AND s.user_id = ?';
  if (shape.session) sql += ' AND s.id = ?';
  if (shape.status) sql += ' AND s.status = ?';
  return sql;
}

function sessionParams(p: PreparedSearch): unknown[] {
  return [p.tenant, p.appName, p.userId, p.sessionId, p.status].filter((v) => v !== undefined);
}

/**
 * The best `?` (limit) events matching `?` (the MATCH expression), ranked by
 * bm25 (lower is better), then newest first, then by seq. CROSS JOIN keeps
 * the index as the outer loop: the filters apply to its matches, never the
 * other way round (a tenant's every event probed against the index).
 */
export function eventHitsSql(shape: SearchShape): string {
  return (
    'SELECT e.pk AS pk, bm25(event_index) AS rank, e.timestamp AS at, e.seq AS seq FROM event_index ' +
    'CROSS JOIN events e ON e.pk = event_index.rowid CROSS JOIN sessions s ON s.pk = e.session_pk ' +
    `WHERE event_index MATCH ? AND ${eventFilters(shape)} ORDER BY rank, at DESC, seq LIMIT ?`
  );
}

function eventFilters(shape: SearchShape): string {
  let where = sessionFilters(shape);
  if (shape.role) where += ' AND e.role = ?';
  if (shape.author) where += ' AND e.author = ?';
  if (shape.after) where += ' AND e.timestamp >= ?';
  if (shape.before) where += ' AND e.timestamp < ?';
  return where;
}

function eventFilterParams(p: PreparedSearch): unknown[] {
  return [...sessionParams(p), p.role, p.author, p.after, p.before].filter((v) => v !== undefined);
}

export function eventHitsParams(p: PreparedSearch, match: string, limit: number): unknown[] {
  return [match, ...eventFilterParams(p), limit];
}

/**
 * The buffered index rows (index-buffer.ts, at most a few hundred in all)
 * of events that pass the filters, with their text, to be matched in
 * JavaScript. The buffer is the outer loop, as the index is above.
 */
export function bufferedHitsSql(shape: SearchShape): string {
  return (
    'SELECT e.pk AS pk, b.body AS body, e.timestamp AS at, e.seq AS seq FROM event_index_pending b ' +
    'CROSS JOIN events e ON e.pk = b.event_pk CROSS JOIN sessions s ON s.pk = e.session_pk ' +
    `WHERE ${eventFilters(shape)}`
  );
}

export function bufferedHitsParams(p: PreparedSearch): unknown[] {
  return eventFilterParams(p);
}

/** The best `?` sessions whose title matches; the time filters compare `updated_at`. */
export function titleHitsSql(shape: SearchShape): string {
  let where = `title_index MATCH ? AND ${sessionFilters(shape)}`;
  if (shape.after) where += ' AND s.updated_at >= ?';
  if (shape.before) where += ' AND s.updated_at < ?';
  return (
    'SELECT s.pk AS pk, bm25(title_index) AS rank, s.updated_at AS at, 0 AS seq FROM title_index ' +
    `CROSS JOIN sessions s ON s.pk = title_index.rowid WHERE ${where} ORDER BY rank, at DESC LIMIT ?`
  );
}

export function titleHitsParams(p: PreparedSearch, match: string, limit: number): unknown[] {
  return [match, ...sessionParams(p), p.after, p.before].filter((v) => v !== undefined).concat(limit);
}

/** A ranked match: an event (pk of events) or a title (pk of sessions). */
export interface RankedHit {
  pk: number;
  rank: number;
  at: number;
  seq: number;
  title?: boolean;
}

/**
 * Event and title matches in one order: the score a hit shows (to 6
 * decimals) descending, then newest, then seq (titles first). Comparing shown
 * scores keeps ties of FTS5's and the buffer's computations (equal but for
 * the last bit) in time order.
 */
export function mergeHits(events: RankedHit[], titles: RankedHit[]): RankedHit[] {
  const shown = (h: RankedHit) => Math.round(scoreOf(h.rank) * 1e6);
  return [...events, ...titles.map((t) => ({ ...t, title: true }))].sort((a, b) => shown(b) - shown(a) || b.at - a.at || a.seq - b.seq);
}

/**
 * The score shown for a bm25 value. FTS5 weighs a word found in more than
 * half of the rows 1e-6 (its idf is never negative), and hits carry scores
 * rounded to 6 decimals, so the floor keeps every score positive.
 */
export function scoreOf(rank: number): number {
  return Math.max(-rank, 1e-6);
}
