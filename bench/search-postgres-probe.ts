/**
 * An ad-hoc probe of PostgreSQL search (not run by CI; the committed search
 * benchmark is bench/suite/search). It measures, on a scratch schema:
 *
 * 1. the cost the search index adds to an append: the current append
 *    (`sessiondb_append` writing the vector into a GIN-indexed column — as a
 *    tsvector literal built in JavaScript, the store's path for `simple`, and
 *    as `to_tsvector` of the index text, the path of other configurations)
 *    against the same append without it (the schema-v3 function, no search
 *    column), calls rotating between them; `--gin off|<kB>` sets the GIN's
 *    fastupdate / gin_pending_list_limit;
 * 2. building the index over 1,000,000 stored events (`migrate()` over a schema
 *    filled as v3 wrote it: the batched, resumable build);
 * 3. search latency for two-word queries over those events (top 20);
 * 4. the size of the GIN index and of the tsvector column.
 *
 * The corpus: the bench corpus's vocabulary (5,000 words), ranks drawn
 * Zipf-like (P(rank k) ∝ ln((k+2)/(k+1)), ≈ 1/k) in SQL, 30 words per event,
 * 100 events per session; half the events are ADK-style parts.
 *
 *   node --import tsx bench/search-postgres-probe.ts [--events 1000000] [--appends 3000] [--only append|corpus|search] [--gin default|off|<kB>] [--keep] [--reuse]
 *   (SESSIONDB_BENCH_PG_URL overrides the server; --keep leaves the big schema for another run)
 */
import pg from 'pg';
import { PostgresStore } from '../src/stores/postgres/index.js';
import { eventIndexText, vectorConfig, vectorValue } from '../src/stores/postgres/search.js';
import { Corpus, twoWordQueries, word, VOCABULARY_SIZE } from './suite/search/corpus.js';

const PG_URL = process.env['SESSIONDB_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const EVENTS = arg('--events', 1_000_000);
const APPENDS = arg('--appends', 3000);
const PER_SESSION = 100;
const KEEP = process.argv.includes('--keep');
const BIG = 'sdb_probe_search';
const WITH = 'sdb_probe_append_v4';
const WITHOUT = 'sdb_probe_append_v3';

const admin = new pg.Client({ connectionString: PG_URL });
await admin.connect();
const q = (text: string, values: unknown[] = []) => admin.query(text, values);
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const log = (...parts: unknown[]) => console.log(...parts);

// ---------------------------------------------------------------- 1. append cost
/**
 * How the search index's GIN is configured for the append measurement (`--gin`):
 * `default` (fastupdate on, the server's gin_pending_list_limit, 4 MB by default),
 * `off` (fastupdate off: every insert goes into the tree), or a pending-list limit in kB.
 */
const GIN = process.argv.includes('--gin') ? process.argv[process.argv.indexOf('--gin') + 1]! : 'default';

async function appendCost(durable: boolean): Promise<void> {
  for (const s of [WITH, WITHOUT]) await q(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  const withIndex = new PostgresStore({ connectionString: PG_URL, schema: WITH });
  await withIndex.migrate();
  await withIndex.close();
  if (GIN === 'off') await q(`ALTER INDEX ${WITH}.events_search SET (fastupdate = off)`);
  else if (GIN !== 'default') await q(`ALTER INDEX ${WITH}.events_search SET (gin_pending_list_limit = ${Number(GIN)})`);
  const without = new PostgresStore({ connectionString: PG_URL, schema: WITHOUT });
  await without.migrate({ toVersion: 3 });
  await without.close();
  const sessions = 200;
  for (const s of [WITH, WITHOUT]) {
    await q(`INSERT INTO ${s}.sessions (tenant, app_name, user_id, id, created_at, updated_at, last_activity_at)
             SELECT 'default', 'a', 'u', 's' || i, 1, 1, 1 FROM generate_series(0, ${sessions - 1}) i`);
  }
  // Not durable: synchronous_commit off, so that the WAL flush (milliseconds on this disk) does
  // not hide the work the index adds; durable: as deployed.
  const pool = new pg.Pool({ connectionString: PG_URL, max: 1, ...(durable ? {} : { options: '-c synchronous_commit=off' }) });
  const corpus = new Corpus(1);
  let n = 0;
  type Kind = 'none' | 'literal' | 'text';
  // The payload exactly as PostgresStore.appendEvents builds it (events with string content):
  // 'literal' is the store's path for `simple` (a tsvector literal, p_config NULL), 'text' the
  // path of every other configuration (the index text, to_tsvector(p_config, …) in the function).
  const call = async (kind: Kind, lines: string[]) => {
    const events = lines.map((line) => {
      const id = `e${n++}`;
      const content = JSON.stringify(line);
      const text = kind === 'none' ? '' : eventIndexText(content);
      const x = kind === 'literal' ? vectorValue('simple', text) : text;
      return `{"id":${JSON.stringify(id)},"ts":${n},"author":"u","role":null,"inv":null,"content":${content},"delta":null,"meta":null${x ? `,"x":${JSON.stringify(x)}` : ''}}`;
    });
    const args = ['default', 'a', 'u', `s${n % sessions}`, null, `[${events.join(',')}]`, 'optimistic'];
    if (kind === 'none') await pool.query(`SELECT ${WITHOUT}.sessiondb_append($1, $2, $3, $4, $5, $6::jsonb, $7)`, args);
    else await pool.query(`SELECT ${WITH}.sessiondb_append($1, $2, $3, $4, $5, $6::jsonb, $7, $8::regconfig)`, [...args, kind === 'literal' ? vectorConfig('simple') : 'simple']);
  };
  // Calls rotate between the three (which one goes first rotates too), so that all see the
  // same load on a shared machine; the ratios are of the summed times, after a warm-up.
  const kinds: Kind[] = ['none', 'literal', 'text'];
  for (const batch of [1, 10]) {
    const calls = Math.max(100, Math.round(APPENDS / batch));
    const times: Record<Kind, number[]> = { none: [], literal: [], text: [] };
    for (let i = 0; i < calls + 50; i++) {
      for (let j = 0; j < kinds.length; j++) {
        const kind = kinds[(i + j) % kinds.length]!;
        const lines = Array.from({ length: batch }, () => corpus.line());
        const t0 = process.hrtime.bigint();
        await call(kind, lines);
        if (i >= 50) times[kind].push(ms(t0));
      }
    }
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const mean = (k: Kind) => sum(times[k]) / calls;
    log(`\n1. append (${durable ? 'durable commits' : 'synchronous_commit off'}; GIN ${GIN}), ${batch} 30-word event${batch > 1 ? 's' : ''} per call, one connection, ${calls} calls each, rotating:`);
    for (const [k, label] of [['none', 'without (schema v3 fn)  '], ['literal', 'tsvector literal (simple)'], ['text', 'to_tsvector(text)        ']] as [Kind, string][]) {
      log(`   ${label} mean ${(mean(k) * 1000).toFixed(0)} µs/call, median ${(median(times[k]) * 1000).toFixed(0)} µs` +
        (k === 'none' ? '' : `; ratio of means ${(mean(k) / mean('none')).toFixed(2)}x, of medians ${(median(times[k]) / median(times.none)).toFixed(2)}x`));
    }
  }
  await pool.end();
  const jsOnly = (literal: boolean) => {
    const lines = Array.from({ length: 2000 }, () => JSON.stringify(corpus.line()));
    const t0 = process.hrtime.bigint();
    for (const l of lines) {
      const text = eventIndexText(l);
      if (literal) vectorValue('simple', text);
    }
    return ms(t0) / lines.length;
  };
  log(`   of which in JavaScript: the index text ${(jsOnly(false) * 1000).toFixed(1)} µs/event, with the literal ${(jsOnly(true) * 1000).toFixed(1)} µs/event`);
  if (!KEEP) for (const s of [WITH, WITHOUT]) await q(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
}

// ---------------------------------------------------------------- 2. the big corpus and its index build
async function bigCorpus(): Promise<void> {
  const existing = await q(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1`, [BIG]);
  if (existing.rows[0].n > 0 && process.argv.includes('--reuse')) {
    log(`\n2. reusing ${BIG}`);
    return;
  }
  await q(`DROP SCHEMA IF EXISTS ${BIG} CASCADE`);
  const old = new PostgresStore({ connectionString: PG_URL, schema: BIG });
  await old.migrate({ toVersion: 3 });
  await old.close();
  const vocab = Array.from({ length: VOCABULARY_SIZE }, (_, i) => word(i));
  const sessions = Math.ceil(EVENTS / PER_SESSION);
  const line = (n: number, salt: string) =>
    `(SELECT initcap(string_agg(($1::text[])[floor(power(${VOCABULARY_SIZE + 1}::float8, random()))::int], ' ')) || '.' FROM generate_series(1, ${n} + 0 * ${salt}) w)`;
  let t0 = process.hrtime.bigint();
  await q(
    `INSERT INTO ${BIG}.sessions (tenant, app_name, user_id, id, metadata, created_at, updated_at, last_activity_at, event_count, version)
     SELECT 'default', 'app-' || (i % 10), 'user-' || (i % 2000), 'session-' || i, jsonb_build_object('title', ${line(5, 'i')}),
            1.7e12 + i * 1000, 1.7e12 + i * 1000 + ${PER_SESSION}, 1.7e12 + i * 1000 + ${PER_SESSION}, ${PER_SESSION}, ${PER_SESSION + 1}
       FROM generate_series(0, ${sessions - 1}) i`,
    [vocab],
  );
  // In chunks of sessions, so that no statement runs for minutes.
  const chunk = 500;
  for (let from = 0; from < sessions; from += chunk) {
    await q(
      `INSERT INTO ${BIG}.events (session_pk, seq, id, timestamp, author, role, content)
       SELECT s.pk, j, 'e-' || s.id || '-' || j, s.created_at + j, CASE WHEN j % 2 = 0 THEN 'assistant' ELSE 'user' END,
              CASE WHEN j % 2 = 0 THEN 'assistant' ELSE 'user' END,
              CASE WHEN j % 2 = 0 THEN jsonb_build_object('role', 'model', 'parts', jsonb_build_array(jsonb_build_object('text', l.line)))
                   ELSE to_jsonb(l.line) END
         FROM ${BIG}.sessions s, generate_series(1, ${PER_SESSION}) j, LATERAL ${line(30, 'j * s.pk')} AS l(line)
        WHERE s.id IN (SELECT 'session-' || i FROM generate_series(${from}, ${Math.min(sessions, from + chunk) - 1}) i)`,
      [vocab],
    );
  }
  await q(`VACUUM ANALYZE ${BIG}.events`);
  await q(`VACUUM ANALYZE ${BIG}.sessions`);
  log(`\n2. generated ${sessions} sessions, ${EVENTS} events as schema v3 stored them in ${(ms(t0) / 1000).toFixed(0)} s`);
  const size = (await q(`SELECT pg_total_relation_size('${BIG}.events') AS b`)).rows[0].b;
  log(`   events table with its indexes, before search: ${mib(Number(size))}`);

  const store = new PostgresStore({ connectionString: PG_URL, schema: BIG });
  t0 = process.hrtime.bigint();
  let lastReport = 0;
  await store.migrate({
    onProgress: (p) => {
      if (p.done - lastReport >= 100_000 || p.done === p.total) {
        lastReport = p.done;
        log(`   ${p.step}: ${p.done}/${p.total} after ${(ms(t0) / 1000).toFixed(0)} s`);
      }
    },
  });
  const build = ms(t0);
  await store.close();
  log(`   migrate() built the index over ${EVENTS + sessions} rows in ${(build / 1000).toFixed(0)} s (${((EVENTS + sessions) / (build / 1000)).toFixed(0)} rows/s)`);
  await q(`VACUUM ANALYZE ${BIG}.events`);
  await q(`VACUUM ANALYZE ${BIG}.sessions`);
}

// ---------------------------------------------------------------- 3. search latency, 4. sizes
async function searchLatency(): Promise<void> {
  const store = new PostgresStore({ connectionString: PG_URL, schema: BIG, max: 1 });
  await store.migrate(); // a schema kept from an older run (--keep) takes the later migrations
  const run = async (label: string, queries: string[], extra: object = {}) => {
    for (const query of queries.slice(0, 3)) await store.searchEvents({ query, limit: 20, ...extra }); // warm
    const times: number[] = [];
    const hits: number[] = [];
    for (const query of queries) {
      const t0 = process.hrtime.bigint();
      const page = await store.searchEvents({ query, limit: 20, ...extra });
      times.push(ms(t0));
      hits.push(page.hits.length);
    }
    log(`   ${label.padEnd(44)} median ${median(times).toFixed(1)} ms, p95 ${pct(times, 0.95).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms (${queries.length} queries)`);
  };
  const matches = async (query: string) => {
    const tsq = query.split(' ').map((w) => `'${w}'`).join(' & ');
    return (await q(`SELECT count(*)::int AS n FROM ${BIG}.events WHERE search @@ to_tsquery('simple', $1)`, [tsq])).rows[0].n as number;
  };
  const middling = twoWordQueries(50);
  const counts: number[] = [];
  for (const m of middling.slice(0, 10)) counts.push(await matches(m));
  log(`\n3. search, top 20, over ${EVENTS} events (one connection; latency as the caller sees it, snippets included):`);
  log(`   matches of the first 10 middling queries: ${counts.join(', ')}`);
  await run('two words of middling frequency (ranks 20–400)', middling);
  await run('the same, in one app (appName filter)', middling, { appName: 'app-3' });
  const top = [`${word(0)} ${word(1)}`, `${word(1)} ${word(0)}`, `${word(0)} ${word(2)}`, `${word(1)} ${word(2)}`, `${word(0)} ${word(3)}`];
  log(`   matches of the two most frequent words ("${top[0]}"): ${await matches(top[0]!)}`);
  await run('the two most frequent words (ranks 0–3)', top);
  const common = Array.from({ length: 5 }, (_, i) => `${word(i % 5)} ${word(5 + (i % 7))}`);
  log(`   matches of a common pair ("${common[0]}"): ${await matches(common[0]!)}`);
  await run('two common words (ranks 0–11)', common);
  const rare = Array.from({ length: 20 }, (_, i) => `${word(2000 + i * 50)} ${word(3000 + i * 40)}`);
  await run('two rare words (ranks 2,000–4,000)', rare);
  await run('a phrase of two middling words', middling.map((m) => `"${m}"`));
  await run('a prefix (the first 5 letters of a middling word)', middling.map((m) => `${m.slice(0, 5)}*`).slice(0, 10));
  const plan = await q(
    `EXPLAIN (ANALYZE, BUFFERS) SELECT session_pk, seq, ts_rank(search, q, 1) r FROM ${BIG}.events, to_tsquery('simple', $1) q
      WHERE search @@ q ORDER BY r DESC LIMIT 21`,
    [middling[0]!.split(' ').map((w) => `'${w}'`).join(' & ')],
  );
  log('   plan of the first middling query (events part):');
  for (const r of plan.rows) log('     ' + r['QUERY PLAN']);
  await store.close();

  const sizes = (
    await q(`SELECT pg_relation_size('${BIG}.events_search') AS gin, pg_relation_size('${BIG}.sessions_search') AS title_gin,
                    (SELECT sum(pg_column_size(search)) FROM ${BIG}.events) AS col,
                    (SELECT sum(pg_column_size(content)) FROM ${BIG}.events) AS content,
                    pg_total_relation_size('${BIG}.events') AS total,
                    pg_relation_size('${BIG}.events_unindexed') AS leftover_idx`)
  ).rows[0];
  log(`\n4. sizes over ${EVENTS} events:`);
  log(`   GIN index on events.search: ${mib(Number(sizes.gin))} (${(Number(sizes.gin) / EVENTS).toFixed(0)} B/event); titles' GIN: ${mib(Number(sizes.title_gin))}`);
  log(`   the tsvector column: ${mib(Number(sizes.col))} (${(Number(sizes.col) / EVENTS).toFixed(0)} B/event); content column for scale: ${mib(Number(sizes.content))}`);
  log(`   events table with every index: ${mib(Number(sizes.total))}; the partial index of rows left to index: ${mib(Number(sizes.leftover_idx))}`);
  await q(`REINDEX INDEX ${BIG}.events_search`);
  const rebuilt = (await q(`SELECT pg_relation_size('${BIG}.events_search') AS gin`)).rows[0].gin;
  log(`   the GIN index rebuilt from scratch (REINDEX): ${mib(Number(rebuilt))}`);
}

const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
try {
  if (!only || only === 'append') {
    await appendCost(false);
    await appendCost(true);
  }
  if (!only || only === 'corpus') await bigCorpus();
  if (!only || only === 'corpus' || only === 'search') await searchLatency();
} finally {
  // --only append never touches the big schema: a kept one (--keep) stays for the next --only search.
  if (!KEEP && only !== 'append') await q(`DROP SCHEMA IF EXISTS ${BIG} CASCADE`).catch(() => undefined);
  await admin.end();
}
