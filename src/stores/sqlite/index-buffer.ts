/**
 * The event index's buffer (`event_index_pending`, migration 4). An append
 * writes its events' index text to this plain table, in its transaction; the
 * append that brings it to `INDEX_BUFFER_ROWS` rows moves them all into the
 * FTS5 table `event_index` with one statement and empties it, in that same
 * transaction. FTS5 writes a new segment for every transaction that inserts,
 * so an FTS5 row per append cost about 6 more pages per append; a batch of
 * 256 rows costs one segment. Searches match the buffered rows here, in
 * JavaScript, and score them with FTS5's own bm25 over the same statistics.
 */
import type { Statement } from 'better-sqlite3';
import { occurrences } from '../../core/search/match.js';
import type { SearchTree } from '../../core/search/query.js';
import type { Word } from '../../core/search/text.js';
import { phrase } from './search.js';

/**
 * Rows the buffer holds before an append moves them into FTS5. Measured with
 * bench/search-sqlite-probe.ts (CPU of an append of one event with the index
 * over without it): 64 rows 1.38x, 128 1.27x, 256 1.19x, 512 1.20x, 1024
 * 1.26x; more rows gain nothing and every search matches more of them in
 * JavaScript.
 */
export const INDEX_BUFFER_ROWS = 256;

export const BUFFER_SQL = {
  bufferEvent: `INSERT INTO event_index_pending (event_pk, body) VALUES (?, ?)`,
  bufferedRows: `SELECT count(*) FROM event_index_pending`,
  flushBuffer: `INSERT INTO event_index (rowid, body) SELECT event_pk, body FROM event_index_pending ORDER BY event_pk`,
  clearBuffer: `DELETE FROM event_index_pending`,
  bufferedBodies: `SELECT body FROM event_index_pending`,
  // Rows holding a word: fts5vocab reads the word's doclist, about twice as fast as counting
  // the rows a MATCH finds, which phrases and prefixes need (the vocabulary has single words).
  wordRows: `SELECT doc FROM event_index_vocab WHERE term = ?`,
  countMatches: `SELECT count(*) FROM event_index WHERE event_index MATCH ?`,
  // FTS5's "averages" record: varints, the rows ever inserted (a contentless_delete
  // table does not count deletions off) and the tokens of its column. bm25() reads it.
  indexAverages: `SELECT block FROM event_index_data WHERE id = 1`,
} as const;

type BufferStatements = { readonly [K in keyof typeof BUFFER_SQL]: Statement<unknown[]> };

/** Moves every buffered row into FTS5 and empties the buffer, inside the caller's transaction. */
export function flushIndexBuffer(st: BufferStatements): void {
  st.flushBuffer.run();
  st.clearBuffer.run();
}

/** Buffers the index text of a new event (`pk`: its `events.pk`). */
export function bufferEvent(st: BufferStatements, pk: number | bigint, body: string): void {
  st.bufferEvent.run(pk, body);
}

/** After an append's rows are buffered: moves the buffer into FTS5 when it is full. */
export function flushIfFull(st: BufferStatements): void {
  if ((st.bufferedRows.pluck().get() as number) >= INDEX_BUFFER_ROWS) flushIndexBuffer(st);
}

/** The words of an index text (normalized words joined by single spaces: core's `indexText`). */
export function wordsOfIndexText(body: string): Word[] {
  return body === '' ? [] : body.split(' ').map((norm) => ({ norm, start: 0, end: 0 }));
}

/** SQLite's varints, as FTS5 stores its records. */
export function readVarints(block: Uint8Array): number[] {
  const out: number[] = [];
  let i = 0;
  while (i < block.length) {
    let value = 0;
    for (let n = 0; ; n++) {
      const byte = block[i++]!;
      if (n === 8) {
        value = value * 256 + byte;
        break;
      }
      value = value * 128 + (byte & 0x7f);
      if (!(byte & 0x80) || i >= block.length) break;
    }
    out.push(value);
  }
  return out;
}

/** What bm25 needs of the whole event index: rows, their average length in words, rows holding each must clause. */
export interface IndexStats {
  rows: number;
  avgLength: number;
  docs: number[];
}

const K1 = 1.2;
const B = 0.75;

/**
 * The statistics FTS5's bm25() would use were the buffer already moved into
 * FTS5: its averages record (rows and tokens) and each must clause's row
 * count from FTS5, plus the buffer's rows. So a buffered row's score is the
 * score it gets once moved; an FTS5 hit's own score leaves out the buffer
 * (at most 255 rows).
 */
export function indexStats(st: BufferStatements, tree: SearchTree): IndexStats {
  const block = st.indexAverages.pluck().get() as Uint8Array | undefined;
  const [ftsRows = 0, ftsTokens = 0] = block ? readVarints(block) : [];
  const docs = tree.must.map((c) =>
    c.words.length === 1 && !c.prefix ? ((st.wordRows.pluck().get(c.words[0]) as number | undefined) ?? 0) : (st.countMatches.pluck().get(phrase(c)) as number),
  );
  let rows = ftsRows;
  let tokens = ftsTokens;
  for (const body of st.bufferedBodies.pluck().iterate() as Iterable<string>) {
    const words = wordsOfIndexText(body);
    rows++;
    tokens += words.length;
    tree.must.forEach((c, i) => {
      if (occurrences(words, c).length) docs[i]!++;
    });
  }
  return { rows, avgLength: rows ? tokens / rows : 0, docs };
}

/**
 * FTS5's bm25() of a row (negative, lower is better, as FTS5 returns it):
 * `counts` are the occurrences of each must clause in the row, `length` its
 * words. Same formula and operation order as fts5_aux.c: idf = ln((N - n +
 * 0.5) / (n + 0.5)), at least 1e-6; k1 = 1.2, b = 0.75. Not clauses never
 * occur in a matching row, so they add nothing.
 */
export function bm25(stats: IndexStats, counts: readonly number[], length: number): number {
  let score = 0;
  counts.forEach((f, i) => {
    const n = stats.docs[i]!;
    let idf = Math.log((stats.rows - n + 0.5) / (n + 0.5));
    if (idf <= 0) idf = 1e-6;
    score += idf * ((f * (K1 + 1.0)) / (f + K1 * (1 - B + (B * length) / stats.avgLength)));
  });
  return -1.0 * score;
}
