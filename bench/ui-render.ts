/**
 * The web console in Chromium over a large SQLite file: 1,000,000 sessions, one session of
 * 10,000 events and one of 10. Measures the page weight of a first visit (bytes transferred,
 * from the DevTools protocol's Network events), and the time from navigation start to the
 * frame that paints the first rows of the list, and the first events of each session (the
 * `performance.mark`s the console sets), each from a fresh browser context (empty cache).
 *
 *   npm run bench:ui          (builds first; or: node --import tsx bench/ui-render.ts [--runs N] [--keep FILE])
 *
 * `--keep FILE` fills FILE once and keeps it (later runs with the same FILE skip the fill).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { SqliteStore } from '../src/stores/sqlite/index.js';
import type { NewEvent } from '../src/core/types.js';
import { launchChromium } from '../test/browser.js';

const SESSIONS = 1_000_000;
const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const runs = Number(arg('--runs')) || 7;
const kept = arg('--keep');
const dir = mkdtempSync(join(tmpdir(), 'sessiondb-bench-ui-'));
const path = kept ?? join(dir, 'console.db');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A conversation of `n` events: user questions, assistant answers, a tool call and its result every few turns. */
function conversation(n: number, start: number): NewEvent[] {
  return Array.from({ length: n }, (_, i): NewEvent => {
    const timestamp = start + i * 4_000;
    switch (i % 4) {
      case 0:
        return { author: 'user', role: 'user', timestamp, content: `Message ${i + 1}: can you check the status of order A-${1000 + i} and tell me when it ships?` };
      case 1:
        return { author: 'agent', role: 'assistant', timestamp, content: { parts: [{ functionCall: { id: `c${i}`, name: 'lookup_order', args: { orderId: `A-${999 + i}` } } }] } };
      case 2:
        return { author: 'agent', role: 'tool', timestamp, content: { parts: [{ functionResponse: { id: `c${i - 1}`, name: 'lookup_order', response: { status: 'packed', ships: '2026-12-01' } } }] }, stateDelta: { last_order: `A-${998 + i}` } };
      default:
        return { author: 'agent', role: 'assistant', timestamp, content: `Order A-${997 + i} is packed and ships on 1 December; you will get a tracking link by e-mail.` };
    }
  });
}

/**
 * Fills the file: the two conversations through the store (so their events, index rows and
 * counters are exactly what an application writes), then 1,000,000 sessions by one
 * INSERT … SELECT into the sessions table (the columns migration 1 defines; the rest keep
 * their defaults), spread over 5 apps, 10,000 users and 90 days, 10 % archived, 2 % expired.
 * Their titles are in `metadata` but not in the title search index (this measures listing).
 */
async function fill(): Promise<void> {
  const store = new SqliteStore({ path });
  await store.migrate();
  const now = Date.now();
  for (const [id, n] of [['big', 10_000], ['small', 10]] as const) {
    await store.createSession({ appName: 'support', userId: 'bench', id, metadata: { title: `A conversation of ${n.toLocaleString('en-US')} events` }, model: 'gemini-2.5-flash' });
    const events = conversation(n, now - 86_400_000);
    for (let i = 0; i < events.length; i += 1000) await store.appendEvents({ appName: 'support', userId: 'bench', sessionId: id }, events.slice(i, i + 1000));
  }
  await store.close();
  const db = new Database(path);
  db.pragma('cache_size = -524288'); // 512 MiB: the four listing indexes stay in memory while they grow
  const t0 = performance.now();
  db.exec(`
    WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < ${SESSIONS - 2})
    INSERT INTO sessions (tenant, app_name, user_id, id, metadata, model, status, created_at, updated_at, last_activity_at, event_count, version)
    SELECT 'default', 'app-' || (k % 5), 'user-' || (k % 10000), 's-' || k,
           json_object('title', 'Conversation ' || k || ' about order A-' || (k % 9000)),
           CASE k % 3 WHEN 0 THEN 'gemini-2.5-flash' WHEN 1 THEN 'gpt-4.1-mini' ELSE 'claude-sonnet-4.5' END,
           CASE WHEN k % 50 = 0 THEN 'expired' WHEN k % 10 = 0 THEN 'archived' ELSE 'active' END,
           ${now} - 86400000 * 2 - k * 7776, ${now} - 86400000 * 2 - k * 7776, ${now} - 86400000 * 2 - k * 7776, 0, 1
      FROM n;
  `);
  db.close();
  console.error(`filled ${SESSIONS.toLocaleString('en-US')} sessions in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  // Checked through the store: every session is listed and counted as the API will.
  const check = new SqliteStore({ path });
  const [count, stats, page] = await Promise.all([check.countSessions({}), check.stats({ tenant: 'default' }), check.listSessions({ order: 'desc', limit: 3 })]);
  const newest = page.sessions.map((x) => x.id);
  if (count !== SESSIONS || stats.sessions !== SESSIONS || stats.events !== 10_010 || !newest.includes('big') || !newest.includes('small') || newest[2] !== 's-1') {
    throw new Error(`fill check failed: ${count} sessions, ${stats.events} events, newest ${newest.join(', ')}`);
  }
  await check.close();
}

function serve(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(import.meta.dirname, '..', 'dist', 'cli', 'main.js'), 'serve', '--port', '0', '--db', `sqlite:${path}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /sessiondb listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1]!, child });
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
}

interface Visit {
  ms: number;
  /** The list's totals (`/v1/stats`), when the page shows them. */
  totalsMs: number | null;
  bytes: { page: number; api: number };
  requests: { page: number; api: number };
}

/** Opens `url` in a fresh context and waits for `mark`; the time is the mark's, from navigation start. */
async function visit(browser: Browser, url: string, mark: string): Promise<Visit> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page: Page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const kinds = new Map<string, 'page' | 'api'>();
  const bytes = { page: 0, api: 0 };
  const requests = { page: 0, api: 0 };
  cdp.on('Network.requestWillBeSent', (e) => kinds.set(e.requestId, new URL(e.request.url).pathname.startsWith('/v1/') ? 'api' : 'page'));
  cdp.on('Network.loadingFinished', (e) => {
    const kind = kinds.get(e.requestId) ?? 'page';
    bytes[kind] += e.encodedDataLength; // headers and (compressed) body, as received
    requests[kind]++;
  });
  await page.goto(url);
  await page.waitForFunction((name) => performance.getEntriesByName(name).length > 0, mark, { timeout: 60_000 });
  const ms = await page.evaluate((name) => performance.getEntriesByName(name)[0]!.startTime, mark);
  let totalsMs: number | null = null;
  if (mark === 'sessiondb:sessions-rendered') {
    const totals = 'sessiondb:totals-rendered';
    await page.waitForFunction((name) => performance.getEntriesByName(name).length > 0, totals, { timeout: 60_000 });
    totalsMs = await page.evaluate((name) => performance.getEntriesByName(name)[0]!.startTime, totals);
  }
  await page.waitForLoadState('networkidle');
  await context.close();
  return { ms, totalsMs, bytes, requests };
}

const server = { child: null as ChildProcess | null };
try {
  if (!kept || !existsSync(kept)) await fill();
  const { url, child } = await serve();
  server.child = child;
  const browser = await launchChromium();
  const cases = [
    { name: 'list of 1,000,000 sessions (first page of 50)', path: '/ui/', mark: 'sessiondb:sessions-rendered' },
    { name: 'list, filtered to one app and one user', path: '/ui/?app=app-3&user=user-4243', mark: 'sessiondb:sessions-rendered' },
    { name: 'session of 10,000 events (from the start)', path: '/ui/sessions/support/bench/big', mark: 'sessiondb:session-rendered' },
    { name: 'session of 10,000 events, opened at event 9,000', path: '/ui/sessions/support/bench/big?seq=9000', mark: 'sessiondb:session-rendered' },
    { name: 'session of 10 events', path: '/ui/sessions/support/bench/small', mark: 'sessiondb:session-rendered' },
  ];
  const results = new Map<string, Visit[]>();
  await visit(browser, `${url}${cases[0]!.path}`, cases[0]!.mark); // the server's first compression of each file, and SQLite's cold pages
  for (let r = 0; r < runs; r++) {
    for (const c of cases) {
      const list = results.get(c.name) ?? [];
      list.push(await visit(browser, `${url}${c.path}`, c.mark));
      results.set(c.name, list);
    }
  }
  const version = browser.version();
  await browser.close();

  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`\nThe web console over ${SESSIONS.toLocaleString('en-US')} sessions (SQLite, ${(statSync(path).size / 2 ** 20).toFixed(0)} MiB), Chromium ${version}, ${runs} runs each, each from an empty cache.`);
  console.log('Time: navigation start to the frame that paints the first rows/events (performance.mark). Bytes: transferred, headers included.\n');
  console.log('| page | first render, median (min–max) | console files (requests) | API data (requests) |');
  console.log('|---|---|---|---|');
  const spread = (ms: number[]) => `${median(ms).toFixed(0)} ms (${Math.min(...ms).toFixed(0)}–${Math.max(...ms).toFixed(0)})`;
  for (const c of cases) {
    const v = results.get(c.name)!;
    const last = v[v.length - 1]!;
    console.log(`| ${c.name} | ${spread(v.map((x) => x.ms))} | ${kib(last.bytes.page)} (${last.requests.page}) | ${kib(last.bytes.api)} (${last.requests.api}) |`);
  }
  const totals = results.get(cases[0]!.name)!.map((x) => x.totalsMs!);
  console.log(`\nThe list's totals (GET /v1/stats counts the tenant: every session) appear after ${spread(totals)}; the rows do not wait for them.`);
} finally {
  server.child?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
