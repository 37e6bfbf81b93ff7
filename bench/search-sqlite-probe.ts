/**
 * A probe of the SQLite store's full-text search (not the committed bench):
 *
 * 1. What the index adds to an append: 20,000 appends of one event (~200
 *    characters of text) to 100 sessions, one IMMEDIATE transaction each, on
 *    a file (WAL, synchronous=normal), in alternating rounds:
 *    - raw: better-sqlite3 doing what the store's append does (read the
 *      session, look the id up, insert the event, update the session) on the
 *      schema without the index (migrations 1-3);
 *    - raw+fts: the same, plus an FTS5 row per append (indexText over the
 *      content), as the store first did;
 *    - raw+buffered: the same, plus the store's way: the row goes to
 *      event_index_pending and the append that fills it (BUFFER_ROWS, default
 *      the store's INDEX_BUFFER_ROWS) moves it into FTS5;
 *    - store: SqliteStore.appendEvents (validation, planning and the index).
 * 2. Migrating 1,000,000 stored events (written at schema 3) to the index, and
 *    the index's size (dbstat).
 * 3. Top-20 searches of two words over those events (a vocabulary of 5,000
 *    words, Zipf-distributed), medians of 15 runs.
 *
 *   node --import tsx bench/search-sqlite-probe.ts [all|appends|search] [events=1000000]
 *
 * OLD_SESSIONDB=<path of src/index.ts of an older checkout> adds that store's
 * appends (the store before the index) to part 1.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../src/index.js';
import { SQLITE_MIGRATIONS } from '../src/stores/sqlite/migrations.js';
import { eventIndexText } from '../src/stores/sqlite/search-index.js';
import { INDEX_BUFFER_ROWS } from '../src/stores/sqlite/index-buffer.js';

const only = process.argv[2];
const EVENTS = Number(process.argv[3] ?? 1_000_000);
const APPENDS = 20_000;
const BUFFER_ROWS = Number(process.env['BUFFER_ROWS'] ?? INDEX_BUFFER_ROWS);
const SESSIONS = 100;
// PROBE_DIR keeps the files (and reuses its migrated big.db) between runs.
const keep = process.env['PROBE_DIR'];
const dir = keep ?? mkdtempSync(join(tmpdir(), 'sessiondb-search-probe-'));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// ---- text: 5,000 pronounceable words, drawn with Zipf's law (s = 1)
let seed = 42;
function random(): number {
  // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const syllables = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'be', 'so', 'di', 'ga', 'pe', 'vu', 'zi', 'ho', 'fa', 'ly', 'qu', 'wo', 'xe', 'ja'];
const vocabulary: string[] = [];
const seen = new Set<string>();
while (vocabulary.length < 5000) {
  let w = '';
  const n = 1 + Math.floor(random() * 4);
  for (let i = 0; i < n; i++) w += syllables[Math.floor(random() * syllables.length)];
  if (!seen.has(w)) seen.add(w), vocabulary.push(w);
}
const cumulative: number[] = [];
let sum = 0;
for (let r = 1; r <= vocabulary.length; r++) cumulative.push((sum += 1 / r));
function word(): string {
  const x = random() * sum;
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return vocabulary[lo]!;
}
function text(chars = 200): string {
  let out = '';
  while (out.length < chars) out += (out ? ' ' : '') + word();
  return out.charAt(0).toUpperCase() + out.slice(1) + '.';
}

// ---- 1. append cost
function rawSchema(path: string, withIndex: boolean): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  for (const m of SQLITE_MIGRATIONS) if (m.sql && (m.version <= 3 || withIndex)) db.exec(m.sql);
  return db;
}

type Appender = (session: string, content: string) => void;

/**
 * `index`: 'none'; 'fts' (an FTS5 row in the append's transaction, as the
 * store first did); 'buffered' (the store's way: the row goes to
 * event_index_pending in the append's transaction and the append that brings
 * it to BUFFER_ROWS rows moves them into FTS5 at once).
 */
function rawAppender(db: Database.Database, withIndex: 'none' | 'fts' | 'buffered'): Appender {
  const insertSession = db.prepare(`INSERT INTO sessions (tenant, app_name, user_id, id, created_at, updated_at, last_activity_at) VALUES ('default', 'a', 'u', ?, 1, 1, 1)`);
  for (let s = 0; s < SESSIONS; s++) insertSession.run(`s${s}`);
  const target = db.prepare(`SELECT pk, version, event_count FROM sessions WHERE tenant = 'default' AND app_name = 'a' AND user_id = 'u' AND id = ?`);
  const byId = db.prepare(`SELECT id FROM events WHERE session_pk = ? AND id = ?`);
  const insert = db.prepare(`INSERT INTO events (session_pk, seq, id, timestamp, author, role, invocation_id, content, state_delta, metadata) VALUES (?, ?, ?, ?, 'user', 'user', NULL, ?, NULL, NULL)`);
  const index = withIndex === 'fts' ? db.prepare('INSERT INTO event_index (rowid, body) VALUES (?, ?)') : null;
  const buffer = withIndex === 'buffered' ? db.prepare('INSERT INTO event_index_pending (event_pk, body) VALUES (?, ?)') : null;
  const buffered = withIndex === 'buffered' ? db.prepare('SELECT count(*) FROM event_index_pending').pluck() : null;
  const flush = withIndex === 'buffered' ? db.prepare('INSERT INTO event_index (rowid, body) SELECT event_pk, body FROM event_index_pending ORDER BY event_pk') : null;
  const clear = withIndex === 'buffered' ? db.prepare('DELETE FROM event_index_pending') : null;
  const after = db.prepare(`UPDATE sessions SET event_count = ?, updated_at = ?, last_activity_at = ?, version = version + 1 WHERE pk = ?`);
  let n = 0;
  const tx = db.transaction((session: string, content: string) => {
    const t = target.get(session) as { pk: number; version: number; event_count: number };
    const id = `ev-${++n}`;
    byId.get(t.pk, id);
    const now = Date.now();
    const { lastInsertRowid } = insert.run(t.pk, t.event_count + 1, id, now, content);
    index?.run(lastInsertRowid, eventIndexText(content));
    if (buffer) {
      buffer.run(lastInsertRowid, eventIndexText(content));
      if ((buffered!.get() as number) >= BUFFER_ROWS) flush!.run(), clear!.run();
    }
    after.run(t.event_count + 1, now, now, t.pk);
  });
  return (session, content) => tx.immediate(session, content);
}

interface StoreLike {
  migrate(): Promise<void>;
  createSession(s: { appName: string; userId: string; id: string }): Promise<unknown>;
  appendEvents(k: { appName: string; userId: string; sessionId: string }, e: { author: string; role: 'user'; content: string }[]): Promise<unknown>;
  database(): Promise<Database.Database>;
  close(): Promise<void>;
}

async function storeAppender(store: StoreLike): Promise<(session: string, content: string) => Promise<unknown>> {
  await store.migrate();
  for (let s = 0; s < SESSIONS; s++) await store.createSession({ appName: 'a', userId: 'u', id: `s${s}` });
  return (session, content) => store.appendEvents({ appName: 'a', userId: 'u', sessionId: session }, [{ author: 'user', role: 'user', content }]);
}

/** WAL frames one append writes (checkpoints held off while counting). */
async function pagesPerAppend(db: Database.Database, path: string, append: (i: number) => unknown): Promise<number> {
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('wal_autocheckpoint = 0');
  const n = 1000;
  for (let i = 0; i < n; i++) await append(i);
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const frames = statSync(`${path}-wal`).size / (pageSize + 24);
  db.pragma('wal_autocheckpoint = 1000');
  return frames / n;
}

async function appendCost(): Promise<void> {
  const texts = Array.from({ length: APPENDS }, () => text());
  const rounds = 4;
  const per = APPENDS / rounds;
  const paths = { raw: join(dir, 'raw.db'), fts: join(dir, 'fts.db'), buffered: join(dir, 'buffered.db'), store: join(dir, 'store.db'), old: join(dir, 'old.db') };
  const rawDb = rawSchema(paths.raw, false);
  const ftsDb = rawSchema(paths.fts, true);
  const bufferedDb = rawSchema(paths.buffered, true);
  const raw = rawAppender(rawDb, 'none');
  const fts = rawAppender(ftsDb, 'fts');
  const buffered = rawAppender(bufferedDb, 'buffered');
  const store = new SqliteStore({ path: paths.store }) as unknown as StoreLike;
  const appendStore = await storeAppender(store);
  // The store as it was before the index (the commit before issue 15), when OLD_SESSIONDB names its source.
  const oldStore = process.env['OLD_SESSIONDB']
    ? (new (((await import(process.env['OLD_SESSIONDB'])) as { SqliteStore: new (o: { path: string }) => StoreLike }).SqliteStore)({ path: paths.old }))
    : null;
  const appendOld = oldStore ? await storeAppender(oldStore) : null;
  const wall: Record<string, number> = { raw: 0, fts: 0, buffered: 0, store: 0, old: 0 };
  const cpu: Record<string, number> = { raw: 0, fts: 0, buffered: 0, store: 0, old: 0 };
  const time = async (name: string, work: () => unknown) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await work();
    wall[name]! += performance.now() - t0;
    const c = process.cpuUsage(c0);
    cpu[name]! += (c.user + c.system) / 1000;
  };
  for (let r = 0; r < rounds; r++) {
    const slice = texts.slice(r * per, (r + 1) * per).map((t) => JSON.stringify(t));
    await time('raw', () => slice.forEach((t, i) => raw(`s${i % SESSIONS}`, t)));
    await time('fts', () => slice.forEach((t, i) => fts(`s${i % SESSIONS}`, t)));
    await time('buffered', () => slice.forEach((t, i) => buffered(`s${i % SESSIONS}`, t)));
    const plain = texts.slice(r * per, (r + 1) * per);
    await time('store', async () => {
      for (let i = 0; i < plain.length; i++) await appendStore(`s${i % SESSIONS}`, plain[i]!);
    });
    if (appendOld) {
      await time('old', async () => {
        for (let i = 0; i < plain.length; i++) await appendOld(`s${i % SESSIONS}`, plain[i]!);
      });
    }
  }
  let t0 = performance.now();
  const c0 = process.cpuUsage();
  for (const t of texts) eventIndexText(JSON.stringify(t));
  const c = process.cpuUsage(c0);
  const indexTextUs = ((performance.now() - t0) * 1000) / APPENDS;
  const indexTextCpu = (c.user + c.system) / APPENDS;
  const us = (ms: number) => ((ms * 1000) / APPENDS).toFixed(0);
  const pages = {
    raw: await pagesPerAppend(rawDb, paths.raw, (i) => raw(`s${i % SESSIONS}`, JSON.stringify(texts[i]))),
    fts: await pagesPerAppend(ftsDb, paths.fts, (i) => fts(`s${i % SESSIONS}`, JSON.stringify(texts[i]))),
    buffered: await pagesPerAppend(bufferedDb, paths.buffered, (i) => buffered(`s${i % SESSIONS}`, JSON.stringify(texts[i]))),
    store: await pagesPerAppend(await store.database(), paths.store, (i) => appendStore(`s${i % SESSIONS}`, texts[i]!)),
    old: oldStore ? await pagesPerAppend(await oldStore.database(), paths.old, (i) => appendOld!(`s${i % SESSIONS}`, texts[i]!)) : NaN,
  };
  await store.close();
  await oldStore?.close();
  rawDb.close();
  ftsDb.close();
  bufferedDb.close();
  console.log(`appends of 1 event (~200 chars) to ${SESSIONS} sessions, ${APPENDS} each, 4 alternating rounds; wall µs / CPU µs / WAL pages per append:`);
  const line = (label: string, k: string) => console.log(`  ${label.padEnd(34)} ${us(wall[k]!).padStart(5)} / ${us(cpu[k]!).padStart(5)} / ${pages[k as keyof typeof pages].toFixed(1)}`);
  line('raw statements, no index', 'raw');
  line('raw statements + FTS5 row', 'fts');
  line(`raw statements + buffered row (${BUFFER_ROWS})`, 'buffered');
  if (oldStore) line('SqliteStore before the index', 'old');
  line('SqliteStore with the index', 'store');
  console.log(`  ratios: raw ${(wall['fts']! / wall['raw']!).toFixed(2)}x wall, ${(cpu['fts']! / cpu['raw']!).toFixed(2)}x CPU` +
    `; buffered ${(wall['buffered']! / wall['raw']!).toFixed(2)}x wall, ${(cpu['buffered']! / cpu['raw']!).toFixed(2)}x CPU` +
    (oldStore ? `; store ${(wall['store']! / wall['old']!).toFixed(2)}x wall, ${(cpu['store']! / cpu['old']!).toFixed(2)}x CPU` : ''));
  console.log(`  indexText(searchableText(content)) alone: ${indexTextUs.toFixed(1)} µs wall, ${indexTextCpu.toFixed(1)} µs CPU per event`);
}

// ---- 2. a schema-3 database of EVENTS events, migrated
async function bigDatabase(): Promise<string> {
  const path = join(dir, 'big.db');
  if (keep && existsSync(path)) return path;
  const old = new SqliteStore({ path });
  await old.migrate({ toVersion: 3 });
  await old.close();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const perSession = 1000;
  const sessions = Math.ceil(EVENTS / perSession);
  const insertSession = db.prepare(`INSERT INTO sessions (tenant, app_name, user_id, id, created_at, updated_at, last_activity_at, event_count, version) VALUES ('default', 'a', ?, ?, 1, 1, 1, ?, 2)`);
  const insert = db.prepare(`INSERT INTO events (session_pk, seq, id, timestamp, author, role, content) VALUES (?, ?, ?, ?, ?, ?, ?)`);
  const t0 = performance.now();
  let written = 0;
  for (let s = 0; s < sessions; s++) {
    db.transaction(() => {
      const count = Math.min(perSession, EVENTS - written);
      const pk = insertSession.run(`u${s % 50}`, `s${s}`, count).lastInsertRowid;
      for (let i = 1; i <= count; i++) insert.run(pk, i, `e${i}`, 1_700_000_000_000 + written + i, i % 2 ? 'user' : 'agent', i % 2 ? 'user' : 'assistant', JSON.stringify(text()));
      written += count;
    })();
  }
  db.close();
  console.log(`wrote ${EVENTS} events in ${sessions} sessions at schema 3 in ${((performance.now() - t0) / 1000).toFixed(1)} s; file ${(statSync(path).size / 2 ** 20).toFixed(0)} MiB`);
  return path;
}

async function migrateAndSearch(path: string): Promise<void> {
  const store = new SqliteStore({ path });
  let reports = 0;
  const t0 = performance.now();
  await store.migrate({ onProgress: () => reports++ });
  console.log(`migrate(): index built over ${EVENTS} events in ${((performance.now() - t0) / 1000).toFixed(1)} s (${reports} progress reports)`);
  const db = await store.database();
  const size = (like: string) => db.prepare(`SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE ?`).pluck().get(like) as number;
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  const total = (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
  const events = size('events') + size('sqlite_autoindex_events_%') + size('events_time');
  const index = size('event_index%');
  console.log(`sizes: database ${mib(total)} MiB; events table and indexes ${mib(events)} MiB; event_index (all its shadow tables) ${mib(index)} MiB = ${((index / events) * 100).toFixed(0)}% of events, ${(index / EVENTS).toFixed(0)} bytes per event`);
  await store.vacuum();
  const optimized = size('event_index%');
  console.log(`after vacuum() (FTS5 optimize, one segment): event_index ${mib(optimized)} MiB`);

  const rank = (w: string) => vocabulary.indexOf(w) + 1;
  const queries = [
    [vocabulary[0]!, vocabulary[1]!],
    [vocabulary[4]!, vocabulary[20]!],
    [vocabulary[50]!, vocabulary[120]!],
    [vocabulary[300]!, vocabulary[900]!],
    [vocabulary[2000]!, vocabulary[4000]!],
  ];
  const searches = async (label: string) => {
    console.log(`top-20 searches, two words (vocabulary ranks), median and max of 15 runs, ${label}:`);
    for (const q of queries) {
      const query = q.join(' ');
      const matches = db.prepare('SELECT count(*) FROM event_index WHERE event_index MATCH ?').pluck().get(q.map((w) => `"${w}"`).join(' AND ')) as number;
      const buffered = db.prepare('SELECT body FROM event_index_pending').pluck().all() as string[];
      const inBuffer = buffered.filter((b) => q.every((w) => ` ${b} `.includes(` ${w} `))).length;
      const times: number[] = [];
      let hits = 0;
      for (let i = 0; i < 16; i++) {
        const t = performance.now();
        hits = (await store.searchEvents({ query, limit: 20 })).hits.length;
        if (i) times.push(performance.now() - t);
      }
      console.log(
        `  "${query}" (ranks ${q.map(rank).join(', ')}): ${matches} matching events in FTS5, ${inBuffer} in the buffer, ${hits} hits; ` +
          `${median(times).toFixed(1)} ms median, ${Math.max(...times).toFixed(1)} ms max`,
      );
    }
  };
  await searches('the buffer empty');
  // A buffer one row short of full: each search also matches its rows in JavaScript and,
  // when some match, reads the statistics for their bm25 (one FTS5 count per word).
  const buffer = { appName: 'a', userId: 'probe', sessionId: `buffer-${Date.now()}` };
  await store.createSession({ appName: buffer.appName, userId: buffer.userId, id: buffer.sessionId });
  await store.appendEvents(buffer, Array.from({ length: INDEX_BUFFER_ROWS - 1 }, () => ({ author: 'user', content: text() })));
  await searches(`${INDEX_BUFFER_ROWS - 1} rows in the buffer`);
  const scoped = [vocabulary[4]!, vocabulary[20]!].join(' ');
  const times: number[] = [];
  for (let i = 0; i < 16; i++) {
    const t = performance.now();
    await store.searchEvents({ query: scoped, userId: 'u7', appName: 'a', limit: 20 });
    if (i) times.push(performance.now() - t);
  }
  console.log(`  "${scoped}" for one user (1/50 of the sessions): ${median(times).toFixed(1)} ms median`);
  await store.close();
}

if (keep) mkdirSync(keep, { recursive: true });
try {
  if (only !== 'search') await appendCost();
  if (only !== 'appends') await migrateAndSearch(await bigDatabase());
} finally {
  if (!keep) rmSync(dir, { recursive: true, force: true });
}
