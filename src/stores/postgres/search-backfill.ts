/**
 * Building the search index over rows stored before it existed (schema v4),
 * or again after the text-search configuration changed. Rows whose `search`
 * is NULL are the ones left; they are indexed in batches, each its own
 * transaction, walking a partial index in key order from a high-water mark,
 * so an interrupted migration resumes where it stopped and no batch rescans
 * the rows before it.
 */
import type { MigrationProgress } from '../../core/store.js';
import type { EventValues } from '../../core/rows.js';
import { searchableText } from '../../core/search/text.js';
import type { PgNames } from './schema.js';
import { pgIndexText, titleIndexText } from './search.js';

/** Runs one statement (the migration's connection). */
export type RunQuery = (sql: string, params: unknown[]) => Promise<{ rows: any[]; rowCount: number | null }>;

/** Rows per batch at most; a batch also stops once it holds this many bytes of content. */
const BATCH_ROWS = 1000;
const BATCH_BYTES = 8 * 1024 * 1024;
/** Progress is reported at most this often (and once at the end). */
const PROGRESS_EVERY_MS = 250;

export const SEARCH_INDEX_STEP = 'search index';

/**
 * Makes the recorded text-search configuration `config`. When the index was
 * built with another one, every row is marked for rebuilding (one statement,
 * in the transaction that records the new configuration).
 */
export async function recordSearchConfig(run: RunQuery, n: PgNames, config: string): Promise<void> {
  await run('BEGIN', []);
  try {
    const canonical = (await run('SELECT $1::regconfig::text AS name', [config])).rows[0].name as string;
    const stored = (await run(`SELECT value FROM ${n.settings} WHERE name = 'search_config' FOR UPDATE`, [])).rows[0]?.value as string | undefined;
    if (stored === undefined) {
      await run(`INSERT INTO ${n.settings} (name, value) VALUES ('search_config', $1)`, [canonical]);
    } else if (stored !== canonical) {
      await run(`UPDATE ${n.settings} SET value = $1 WHERE name = 'search_config'`, [canonical]);
      await run(`UPDATE ${n.events} SET search = NULL WHERE search IS NOT NULL`, []);
      await run(`UPDATE ${n.sessions} SET search = NULL WHERE search IS NOT NULL`, []);
    }
    await run('COMMIT', []);
  } catch (err) {
    await run('ROLLBACK', []).catch(() => undefined);
    throw err;
  }
}

/** Indexes every row whose `search` is NULL (sessions' titles, then events), reporting progress. */
export async function backfillSearch(run: RunQuery, n: PgNames, config: string, onProgress?: (p: MigrationProgress) => void): Promise<void> {
  const counts = (
    await run(
      `SELECT (SELECT count(*) FROM ${n.sessions} WHERE search IS NULL)::double precision AS sessions,
              (SELECT count(*) FROM ${n.events} WHERE search IS NULL)::double precision AS events`,
      [],
    )
  ).rows[0] as { sessions: number; events: number };
  const total = counts.sessions + counts.events;
  if (total === 0) return;
  let done = 0;
  let reported = 0;
  const report = (force = false) => {
    const now = Date.now();
    if (!onProgress || (!force && now - reported < PROGRESS_EVERY_MS)) return;
    reported = now;
    onProgress({ step: SEARCH_INDEX_STEP, done: Math.min(done, total), total });
  };
  report(true);

  let afterPk = 0;
  for (;;) {
    const rows = (
      await run(
        `SELECT pk, metadata::text AS metadata FROM ${n.sessions} WHERE search IS NULL AND pk > $1 ORDER BY pk LIMIT $2`,
        [afterPk, BATCH_ROWS],
      )
    ).rows as { pk: string; metadata: string }[];
    if (rows.length === 0) break;
    // `search IS NULL` again: a title written meanwhile was indexed by its own write.
    await run(
      `UPDATE ${n.sessions} s SET search = to_tsvector($1::regconfig, t.x)
         FROM unnest($2::bigint[], $3::text[]) AS t(pk, x) WHERE s.pk = t.pk AND s.search IS NULL`,
      [config, rows.map((r) => r.pk), rows.map((r) => titleIndexText(r.metadata))],
    );
    afterPk = Number(rows[rows.length - 1]!.pk);
    done += rows.length;
    report();
  }

  let after: [number, number] = [0, 0];
  for (;;) {
    // The batch: up to BATCH_ROWS rows, cut once their content passes BATCH_BYTES (at least one row).
    const rows = (
      await run(
        `SELECT session_pk, seq, content FROM (
           SELECT session_pk, seq, content, sum(coalesce(pg_column_size(content), 0)) OVER (ORDER BY session_pk, seq) AS upto,
                  coalesce(pg_column_size(content), 0) AS size
             FROM (SELECT session_pk, seq, content FROM ${n.events}
                    WHERE search IS NULL AND (session_pk, seq) > ($1::bigint, $2::integer)
                    ORDER BY session_pk, seq LIMIT $3) b
         ) w WHERE upto - size < $4 ORDER BY session_pk, seq`,
        [after[0], after[1], BATCH_ROWS, BATCH_BYTES],
      )
    ).rows as (Pick<EventValues, 'seq' | 'content'> & { session_pk: string })[];
    if (rows.length === 0) break;
    await run(
      `UPDATE ${n.events} e SET search = to_tsvector($1::regconfig, t.x)
         FROM unnest($2::bigint[], $3::integer[], $4::text[]) AS t(pk, seq, x)
        WHERE e.session_pk = t.pk AND e.seq = t.seq AND e.search IS NULL`,
      [config, rows.map((r) => r.session_pk), rows.map((r) => r.seq), rows.map((r) => eventText(r.content))],
    );
    const last = rows[rows.length - 1]!;
    after = [Number(last.session_pk), last.seq];
    done += rows.length;
    report();
  }
  done = total;
  report(true);
}

/** The index text of stored (parsed) content. */
function eventText(content: unknown): string {
  return content === null || content === undefined ? '' : pgIndexText(searchableText(content));
}
