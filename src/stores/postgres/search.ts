/**
 * Full-text search on PostgreSQL: what the index stores, how a parsed query
 * becomes a tsquery, and the SQL of one search. The user's query is parsed in
 * core (`prepareSearch`); only its normalized words reach the database, each as
 * a quoted lexeme, so no input is ever read by PostgreSQL's query parsers.
 */
import { ValidationError } from '../../core/errors.js';
import type { PreparedSearch } from '../../core/search/prepare.js';
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

/** One word as a quoted tsquery lexeme. Words hold letters and digits only; quoting is belt and braces. */
function lexeme(word: string): string {
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

/** Which filters a search uses: the shape of its SQL (one statement per shape, cached). */
export interface SearchShape {
  app: boolean;
  user: boolean;
  session: boolean;
  status: boolean;
  role: boolean;
  author: boolean;
  after: boolean;
  before: boolean;
  titles: boolean;
}

export function searchShape(p: PreparedSearch): SearchShape {
  return {
    app: p.appName !== undefined,
    user: p.userId !== undefined,
    session: p.sessionId !== undefined,
    status: p.status !== undefined,
    role: p.role !== undefined,
    author: p.author !== undefined,
    after: p.after !== undefined,
    before: p.before !== undefined,
    titles: p.titles,
  };
}

/** The parameters of a search, in the order `pgSearchSql` numbers them. */
export function searchParams(p: PreparedSearch, config: string): unknown[] {
  const params: unknown[] = [p.tenant, config, tsqueryText(p.tree)];
  for (const v of [p.appName, p.userId, p.sessionId, p.status, p.role, p.author, p.after, p.before]) if (v !== undefined) params.push(v);
  params.push(p.limit + 1, p.offset);
  return params;
}

/**
 * The query where rows are ranked: a scalar subquery, i.e. an InitPlan computed
 * once per statement (`to_tsquery` is only STABLE, so written inline in the
 * select list it would be parsed again for every row ranked).
 */
const QUERY = '(SELECT to_tsquery($2::regconfig, $3))';
/**
 * The query where rows are found: inline, so that the planner (which plans an
 * unnamed statement for its parameters) folds it to a constant and estimates
 * how many rows match; behind an InitPlan it would guess, and pick a scan of
 * the whole table for tables of moderate size. As an index condition it is
 * evaluated once.
 */
const MATCH = 'to_tsquery($2::regconfig, $3)';

/**
 * Ranking: `ts_rank` with normalization 1 (divided by 1 + log(length)), so a
 * short text full of the words ranks above a long one that mentions them once;
 * at least 1e-6, so every hit's score stays positive once rounded.
 */
const rank = (column: string) => `greatest(ts_rank(${column}, ${QUERY}, 1), 1e-6)::double precision`;

/**
 * One search as one statement: the ranked page of (session, seq) pairs — event
 * hits from the events' GIN index, title hits (seq 0) from the sessions' — then
 * the page's events and session keys. Ties: newest first, then seq, then session.
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
  const events = `
      SELECT e.session_pk AS pk, e.seq, ${rank('e.search')} AS score, e.timestamp AS at
        FROM ${n.events} e JOIN ${n.sessions} s ON s.pk = e.session_pk
       WHERE e.search @@ ${MATCH} AND ${[...session, ...event].join(' AND ')}`;
  const titles = `
      UNION ALL
      SELECT s.pk, 0, ${rank('s.search')}, s.updated_at
        FROM ${n.sessions} s
       WHERE s.search @@ ${MATCH} AND ${[...session, ...title].join(' AND ')}`;
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
