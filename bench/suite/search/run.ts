/**
 * The search benchmark (part of `npm run bench`; alone: `npm run bench -- --only search`):
 * on SQLite and PostgreSQL, a store holding 1,000,000 events (20,000 sessions of 50 events,
 * imported through the store's API so that its index is built as in production) answers
 * two-word queries (top 20 hits); and the cost the index adds to an append is the time of
 * the raw append that also writes the index over the same raw append without it (both floors
 * on the store's own schema, in the same run), next to the store's own append.
 */
import type { SessionStore } from '../../../src/core/store.js';
import type { NewEvent } from '../../../src/core/types.js';
import { median, quantile, timeSequential } from '../stats.js';
import { Corpus, twoWordQueries, word } from './corpus.js';

/** What a backend gives the benchmark. */
export interface SearchArena {
  backend: 'sqlite' | 'postgres';
  store: SessionStore;
  /** Bytes the search index takes on disk (index structures and the indexed text). */
  indexBytes(): Promise<number>;
  /** Bytes of the whole database. */
  databaseBytes(): Promise<number>;
  /** After the fill: what a deployment's autovacuum would have done (ANALYZE), where the benchmark machine has it off. */
  analyze(): Promise<void>;
  /** Raw appends of one event on the store's schema: without writing the index, and with it. */
  floors: {
    prepare(sessionId: string): Promise<void>;
    plain(sessionId: string, e: NewEvent, text: string): Promise<void>;
    indexed(sessionId: string, e: NewEvent, text: string): Promise<void>;
  };
  dispose(): Promise<void>;
}

export interface SearchPlan {
  sessions: number;
  eventsPerSession: number;
  /** Concurrent imports while filling. */
  fillConcurrency: number;
  queries: number;
  appends: number;
  rounds: number;
}

export const SEARCH_FULL: SearchPlan = { sessions: 20_000, eventsPerSession: 50, fillConcurrency: 4, queries: 40, appends: 2_000, rounds: 3 };
export const SEARCH_QUICK: SearchPlan = { sessions: 2_000, eventsPerSession: 50, fillConcurrency: 4, queries: 20, appends: 500, rounds: 2 };

export interface SearchResult {
  backend: string;
  events: number;
  fillSeconds: number;
  /** Top-20 two-word queries. */
  query: { p50Ms: number; p95Ms: number; meanHits: number };
  /** A query of one rare word, and of two of the most frequent words. */
  rareWordMs: number;
  commonWordsMs: number;
  append: {
    /** Median appends per second over the rounds. */
    storePerSec: number;
    floorPlainPerSec: number;
    floorIndexedPerSec: number;
    /** floorPlain / floorIndexed rates: the time an append takes with the index over without it (target <= 1.3). */
    indexCost: number;
    /** floorPlain / store rates: the store's append time over the least work an append without an index needs. */
    storeOverPlainFloor: number;
  };
  indexBytes: number;
  databaseBytes: number;
}

const TEXT_OF = (e: NewEvent) => (typeof e.content === 'string' ? e.content : ((e.content as { parts: { text: string }[] }).parts[0]!.text));

export async function runSearchBench(arena: SearchArena, plan: SearchPlan, log: (line: string) => void): Promise<SearchResult> {
  const { store } = arena;
  const corpus = new Corpus();
  const base = Date.UTC(2026, 0, 1);
  const t0 = performance.now();
  let next = 0;
  let lastLog = t0;
  const worker = async () => {
    while (next < plan.sessions) {
      const i = next++;
      await store.importSession(corpus.session(i, plan.eventsPerSession, base));
      if (performance.now() - lastLog > 5000) {
        lastLog = performance.now();
        log(`  ${arena.backend}: ${(i * plan.eventsPerSession).toLocaleString('en')} events imported`);
      }
    }
  };
  await Promise.all(Array.from({ length: plan.fillConcurrency }, worker));
  const fillSeconds = (performance.now() - t0) / 1000;
  await arena.analyze();
  log(`  ${arena.backend}: ${(plan.sessions * plan.eventsPerSession).toLocaleString('en')} events in ${fillSeconds.toFixed(1)} s`);

  const queries = twoWordQueries(plan.queries);
  for (const q of queries.slice(0, 5)) await store.searchEvents({ query: q, limit: 20 }); // warm-up
  const hits: number[] = [];
  const { latenciesMs } = await timeSequential(queries.length, async (i) => {
    hits.push((await store.searchEvents({ query: queries[i]!, limit: 20 })).hits.length);
  });
  const timeOne = async (query: string) => {
    const t = performance.now();
    await store.searchEvents({ query, limit: 20 });
    return performance.now() - t;
  };
  const rareWordMs = median([await timeOne(word(4_900)), await timeOne(word(4_901)), await timeOne(word(4_902))]);
  const commonWordsMs = median([await timeOne(`${word(0)} ${word(1)}`), await timeOne(`${word(2)} ${word(3)}`), await timeOne(`${word(0)} ${word(4)}`)]);

  // Appends: the store, and the two floors, each on a session of its own, in rotated order per round.
  const ref = { appName: 'bench-append', userId: 'u' };
  await store.createSession({ ...ref, id: 'store' });
  await arena.floors.prepare('floor-plain');
  await arena.floors.prepare('floor-indexed');
  const events = Array.from({ length: plan.appends * (plan.rounds + 1) }, (_, i) => ({ author: 'assistant', content: { role: 'model', parts: [{ text: corpus.line() }] }, stateDelta: { turn: i } }) as NewEvent);
  const rates: Record<'store' | 'plain' | 'indexed', number[]> = { store: [], plain: [], indexed: [] };
  let cursor = 0;
  const contenders = {
    store: (e: NewEvent) => store.appendEvents({ ...ref, sessionId: 'store' }, [e]),
    plain: (e: NewEvent) => arena.floors.plain('floor-plain', e, TEXT_OF(e)),
    indexed: (e: NewEvent) => arena.floors.indexed('floor-indexed', e, TEXT_OF(e)),
  };
  const order = ['store', 'plain', 'indexed'] as const;
  for (let round = 0; round <= plan.rounds; round++) {
    const batch = events.slice(cursor, (cursor += plan.appends));
    for (let j = 0; j < order.length; j++) {
      const name = order[(j + round) % order.length]!;
      const { elapsedMs } = await timeSequential(batch.length, (i) => contenders[name](batch[i]!));
      if (round > 0) rates[name].push(batch.length / (elapsedMs / 1000)); // round 0 warms up
    }
  }
  const storePerSec = median(rates.store);
  const floorPlainPerSec = median(rates.plain);
  const floorIndexedPerSec = median(rates.indexed);
  return {
    backend: arena.backend,
    events: plan.sessions * plan.eventsPerSession,
    fillSeconds,
    query: { p50Ms: quantile(latenciesMs, 0.5), p95Ms: quantile(latenciesMs, 0.95), meanHits: hits.reduce((a, b) => a + b, 0) / hits.length },
    rareWordMs,
    commonWordsMs,
    append: {
      storePerSec,
      floorPlainPerSec,
      floorIndexedPerSec,
      indexCost: floorPlainPerSec / floorIndexedPerSec,
      storeOverPlainFloor: floorPlainPerSec / storePerSec,
    },
    indexBytes: await arena.indexBytes(),
    databaseBytes: await arena.databaseBytes(),
  };
}

export function searchMarkdown(results: readonly SearchResult[]): string {
  const f = (n: number, d = 1) => n.toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d });
  const mb = (b: number) => `${f(b / 1024 / 1024)} MiB`;
  const lines = [
    `### Search (${results[0]?.events.toLocaleString('en') ?? 0} stored events)`,
    '',
    '| backend | events | top 20, two words p50 / p95 | one rare word | two most frequent words | store append/s | floor append/s without index / with | index cost (target ≤ 1.3×) | store vs floor without index | index size | database |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.backend} | ${r.events.toLocaleString('en')} | ${f(r.query.p50Ms)} / ${f(r.query.p95Ms)} ms | ${f(r.rareWordMs)} ms | ${f(r.commonWordsMs)} ms | ${f(r.append.storePerSec, 0)} | ${f(r.append.floorPlainPerSec, 0)} / ${f(r.append.floorIndexedPerSec, 0)} | ${f(r.append.indexCost, 2)}× | ${f(r.append.storeOverPlainFloor, 2)}× | ${mb(r.indexBytes)} | ${mb(r.databaseBytes)} |`,
    ),
  ];
  return lines.join('\n');
}

/** The target: the index may make an append take at most 1.3 times as long. */
export function searchTargets(results: readonly SearchResult[]): { target: string; measured: string; pass: boolean | null }[] {
  return results.map((r) => ({
    target: `${r.backend}: an append with the search index takes at most 1.3× the append without it`,
    measured: `${r.append.indexCost.toFixed(2)}× (floors: ${Math.round(r.append.floorPlainPerSec)} vs ${Math.round(r.append.floorIndexedPerSec)} appends/s; the store ${Math.round(r.append.storePerSec)}/s)`,
    pass: Number.isFinite(r.append.indexCost) ? r.append.indexCost <= 1.3 : null,
  }));
}
