/**
 * Full-text search on PostgreSQL: what the index stores, how a parsed query
 * becomes a tsquery, and the SQL of one search. The user's query is parsed in
 * core (`prepareSearch`); only its normalized words reach the database, each as
 * a quoted lexeme, so no input is ever read by PostgreSQL's query parsers.
 */
import { ValidationError } from '../../core/errors.js';
import type { PreparedSearch, SearchShape } from '../../core/search/prepare.js';

export { searchShape, type SearchShape } from '../../core/search/prepare.js';
import type { SearchClause, SearchTree } from '../../core/search/query.js';
import { indexText, searchableText, sessionTitle } from '../../core/search/text.js';
import type { PgNames } from './schema.js';

export const DEFAULT_SEARCH_CONFIG = 'simple';

const CONFIG_NAME = /^(?:[A-Za-z_][A-Za-z0-9_]{0,62}\.)?[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Validates a text-search configuration name (`simple`, `english`, `myschema.myconfig`). */
export function checkSearchConfig(field: string, value: unknown): string {
  if (typeof value !== 'string' || !CONFIG_NAME.test(value)) {
    throw new ValidationError(
      field,
      `must name a text-search configuration (letters, digits, _; optionally schema-qualified), got ${JSON.stringify(value)}`,
      'Examples: simple (the default: no stemming, no stop words), english, german.',
    );
  }
  return value;
}

/** Words indexed per document at most (PostgreSQL keeps positions up to 16,383, and 256 per word). */
export const MAX_INDEX_WORDS = 100_000;
/**
 * What one document's tsvector may hold, in bytes of its data area: PostgreSQL
 * refuses a tsvector whose lexemes and positions pass 1 MiB (1,048,575 bytes),
 * failing the whole append. Each distinct lexeme takes its bytes, at most one
 * byte of padding and two of position count; each position two more. So a text
 * of B bytes (a space after each word) and W words needs at most B + 4W: the
 * index text is cut, at a word boundary, to keep that under this budget. The
 * stored event is whole; only the words past the cut are not searchable.
 */
export const MAX_INDEX_BYTES = 1_000_000;

/** The text PostgreSQL indexes for `text`: core's index text, cut to fit a tsvector (see `MAX_INDEX_BYTES`). */
export function pgIndexText(text: string): string {
  const out = indexText(text, MAX_INDEX_WORDS);
  // A UTF-16 unit is at most 3 UTF-8 bytes and a word at least a unit plus a space: no count needed.
  if (out.length * 3 + 4 * (out.length / 2 + 1) <= MAX_INDEX_BYTES) return out;
  let budget = MAX_INDEX_BYTES;
  let end = 0;
  for (let start = 0; start < out.length; ) {
    let stop = out.indexOf(' ', start);
    if (stop === -1) stop = out.length;
    budget -= Buffer.byteLength(out.slice(start, stop)) + 1 + 4;
    if (budget < 0) break;
    end = stop;
    start = stop + 1;
  }
  return out.slice(0, end);
}

/** The index text of an event's content as stored (JSON text), or '' when it has none. */
export function eventIndexText(contentJson: string | null): string {
  if (contentJson === null) return '';
  return pgIndexText(searchableText(JSON.parse(contentJson) as unknown));
}

/** The index text of a session's title, from its metadata as JSON text. */
export function titleIndexText(metadataJson: string): string {
  // Metadata is serialized by JSON.stringify, so a title key is spelled exactly so.
  if (!metadataJson.includes('"title"')) return '';
  return pgIndexText(sessionTitle(JSON.parse(metadataJson) as Record<string, unknown>));
}

/** Configurations whose vectors the store builds itself, as tsvector literals (see `tsvectorLiteral`). */
const LITERAL_CONFIGS = new Set(['simple', 'pg_catalog.simple']);

/**
 * Whether the store writes `config`'s vectors and queries as literals. With
 * `simple` (no stemming, no stop words) a lexeme is the word as core
 * normalized it, so `to_tsvector` would only re-parse text core has already
 * split; the literal skips PostgreSQL's parser (about half of what the vector
 * costs an append). Other configurations stem, so PostgreSQL must see the text.
 */
export function usesLiteralVectors(config: string): boolean {
  return LITERAL_CONFIGS.has(config);
}

/** Positions PostgreSQL keeps: at most 16,383 (later words share it), 255 per lexeme (as `to_tsvector`). */
const MAX_POSITION = 16_383;
const MAX_POSITIONS = 255;

/**
 * The tsvector literal of an index text (`'word':1,5 'other':2`), equal to
 * what `to_tsvector('simple', text)` makes of it: the same lexemes, the same
 * positions, capped as PostgreSQL caps them (a test compares both on the
 * server). Positions make phrase queries work. '' for an empty text.
 */
export function tsvectorLiteral(text: string): string {
  if (!text) return '';
  const words = text.split(' ');
  if (words.length <= MAX_POSITIONS) {
    // No cap can apply: each word's positions as one growing string (the common case, and fast).
    const lists = new Map<string, string>();
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      const list = lists.get(w);
      lists.set(w, list === undefined ? lexeme(w) + ':' + (i + 1) : list + ',' + (i + 1));
    }
    return [...lists.values()].join(' ');
  }
  const positions = new Map<string, number[]>();
  let at = 0;
  for (const word of words) {
    const pos = Math.min(++at, MAX_POSITION);
    const list = positions.get(word);
    if (!list) positions.set(word, [pos]);
    else {
      const last = list[list.length - 1]!;
      if (list.length < MAX_POSITIONS && last !== MAX_POSITION && last !== pos) list.push(pos);
    }
  }
  let out = '';
  for (const [word, list] of positions) out += (out ? ' ' : '') + lexeme(word) + ':' + list.join(',');
  return out;
}

/**
 * What the store sends for a document's vector: the tsvector literal (for
 * `simple`) or the index text for `to_tsvector(config, …)`. See `vectorSql`.
 */
export function vectorValue(config: string, indexText: string): string {
  return usesLiteralVectors(config) ? tsvectorLiteral(indexText) : indexText;
}

/**
 * The configuration parameter as the SQL receives it: NULL means "the value
 * is a tsvector literal" (`vectorSql`, and `sessiondb_append` from schema v5).
 */
export function vectorConfig(config: string): string | null {
  return usesLiteralVectors(config) ? null : config;
}

/** SQL of a document's vector from the parameters `config` (`vectorConfig`) and `value` (`vectorValue`). */
export function vectorSql(config: string, value: string): string {
  return `CASE WHEN ${config}::regconfig IS NULL THEN ${value}::text::tsvector ELSE to_tsvector(${config}::regconfig, ${value}::text) END`;
}

const QUOTING = /['\\]/;
/** One word as a quoted tsquery lexeme. Words hold letters and digits only; quoting is belt and braces. */
function lexeme(word: string): string {
  if (!QUOTING.test(word)) return `'${word}'`;
  return `'${word.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

function clauseText(c: SearchClause): string {
  return '(' + c.words.map((w, i) => lexeme(w) + (c.prefix && i === c.words.length - 1 ? ':*' : '')).join(' <-> ') + ')';
}

/**
 * The tsquery text of a parsed query, for `to_tsquery(config, text)`: each
 * clause a phrase of quoted lexemes (`'w1' <-> 'w2'`, a prefix as `'w':*`),
 * must clauses joined by `&`, excluded ones as `& !(…)`.
 */
export function tsqueryText(tree: SearchTree): string {
  return [...tree.must.map(clauseText), ...tree.not.map((c) => '!' + clauseText(c))].join(' & ');
}


/** The parameters of a search, in the order `pgSearchSql` numbers them. */
export function searchParams(p: PreparedSearch, config: string): unknown[] {
  const params: unknown[] = [p.tenant, vectorConfig(config), tsqueryText(p.tree)];
  for (const v of [p.appName, p.userId, p.sessionId, p.status, p.role, p.author, p.after, p.before]) if (v !== undefined) params.push(v);
  params.push(p.limit + 1, p.offset);
  return params;
}

/**
 * How many matches a search ranks at most, of events and of titles each. A
 * query matching more is ranked over the last `SEARCH_CANDIDATES` matches in
 * key order (the newest sessions first, their latest events first): finding
 * them reads that many rows down the primary key, not every match, and
 * `ts_rank` reads each candidate's vector. Fewer matches are all ranked.
 */
export const SEARCH_CANDIDATES = 10_000;

/**
 * The query, from `$2` (the configuration, NULL for a tsquery literal: the
 * `simple` configuration, see `vectorConfig`) and `$3` (`tsqueryText`).
 */
const QUERY_EXPR = 'CASE WHEN $2::regconfig IS NULL THEN $3::text::tsquery ELSE to_tsquery($2::regconfig, $3::text) END';
/**
 * The query where rows are ranked: a scalar subquery, i.e. an InitPlan computed
 * once per statement (`to_tsquery` is only STABLE, so written inline in the
 * select list it would be parsed again for every row ranked).
 */
const QUERY = `(SELECT ${QUERY_EXPR})`;
/**
 * The query where rows are found: inline, so that the planner (which plans an
 * unnamed statement for its parameters) folds it to a constant and estimates
 * how many rows match; behind an InitPlan it would guess, and pick a scan of
 * the whole table for tables of moderate size. As an index condition it is
 * evaluated once.
 */
const MATCH = QUERY_EXPR;

/**
 * Ranking: `ts_rank` with normalization 1 (divided by 1 + log(length)), so a
 * short text full of the words ranks above a long one that mentions them once;
 * at least 1e-6, so every hit's score stays positive once rounded.
 */
const rank = (column: string) => `greatest(ts_rank(${column}, ${QUERY}, 1), 1e-6)::double precision`;

/**
 * One search as one statement: the candidates — event matches from the events'
 * GIN index (or down their primary key when most rows match: the planner
 * chooses from its estimate), title matches (seq 0) from the sessions' — at
 * most `SEARCH_CANDIDATES` of each, the last in key order; they are ranked,
 * the page is cut, and only then are the page's events and session keys read.
 * Ties: newest first, then seq, then session. The candidates depend on the
 * stored rows only, so pages of one search over unchanged data neither repeat
 * nor skip a hit.
 */
export function pgSearchSql(n: PgNames, shape: SearchShape): string {
  let p = 3;
  const session = ['s.tenant = $1'];
  if (shape.app) session.push(`s.app_name = $${++p}`);
  if (shape.user) session.push(`s.user_id = $${++p}`);
  if (shape.session) session.push(`s.id = $${++p}`);
  if (shape.status) session.push(`s.status = $${++p}`);
  const event: string[] = [];
  const title: string[] = [];
  if (shape.role) event.push(`e.role = $${++p}`);
  if (shape.author) event.push(`e.author = $${++p}`);
  if (shape.after) event.push(`e.timestamp >= $${++p}`), title.push(`s.updated_at >= $${p}`);
  if (shape.before) event.push(`e.timestamp < $${++p}`), title.push(`s.updated_at < $${p}`);
  const limit = `$${++p}`;
  const offset = `$${++p}`;
  // Filters that pick few sessions (a user, a session id) may drive the search from the
  // sessions: a plain join, the planner chooses. Otherwise (the tenant, an app, a status) each
  // candidate's session is checked by a probe of its primary key (a lateral subquery kept
  // apart by OFFSET 0): without statistics (a table filled minutes ago) the planner took both
  // sides for a handful of rows and joined every session to every match — 50 s for 100,000
  // events; a probe per row is linear whatever the estimates.
  const selective = shape.user || shape.session;
  const sessionJoin = selective
    ? `JOIN ${n.sessions} s ON s.pk = e.session_pk`
    : `CROSS JOIN LATERAL (SELECT 1 FROM ${n.sessions} s WHERE s.pk = e.session_pk AND ${session.join(' AND ')} OFFSET 0) s`;
  const eventWhere = selective ? [...session, ...event] : event;
  const events = `
      SELECT c.pk, c.seq, ${rank('c.search')} AS score, c.at
        FROM (SELECT e.session_pk AS pk, e.seq, e.search, e.timestamp AS at
                FROM ${n.events} e ${sessionJoin}
               WHERE ${['e.search @@ ' + MATCH, ...eventWhere].join(' AND ')}
               ORDER BY e.session_pk DESC, e.seq DESC LIMIT ${SEARCH_CANDIDATES}) c`;
  const titles = `
      UNION ALL
      SELECT c.pk, 0, ${rank('c.search')}, c.at
        FROM (SELECT s.pk, s.search, s.updated_at AS at
                FROM ${n.sessions} s
               WHERE s.search @@ ${MATCH} AND ${[...session, ...title].join(' AND ')}
               ORDER BY s.pk DESC LIMIT ${SEARCH_CANDIDATES}) c`;
  return `
    SELECT h.score, h.seq, s.tenant, s.app_name, s.user_id, s.id AS session_id,
           CASE WHEN h.seq = 0 THEN s.metadata -> 'title' END AS title,
           e.id, e.timestamp, e.author, e.role, e.invocation_id, e.content, e.state_delta, e.metadata
      FROM (SELECT * FROM (${events}${shape.titles ? titles : ''}
            ) hits ORDER BY score DESC, at DESC, seq, pk LIMIT ${limit} OFFSET ${offset}) h
      JOIN ${n.sessions} s ON s.pk = h.pk
      LEFT JOIN ${n.events} e ON h.seq > 0 AND e.session_pk = h.pk AND e.seq = h.seq
     ORDER BY h.score DESC, h.at DESC, h.seq, h.pk`;
}
