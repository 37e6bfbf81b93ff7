/**
 * SessionManager.startup() with 10 and with 100,000 stored sessions, on a SQLite file:
 * a fresh manager and store each time (a process restart, minus Node's own start-up),
 * 30 runs each, alternating, medians.
 *
 *   npm run bench:startup
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SessionManager, SqliteStore } from '../src/index.js';
import { bulkInsertSessions } from '../test/fixtures/bulk-sessions.js';

const dir = mkdtempSync(join(tmpdir(), 'sessiondb-bench-startup-'));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function prepare(count: number): Promise<string> {
  const path = join(dir, `s${count}.db`);
  const store = new SqliteStore({ path });
  await store.migrate();
  await store.close();
  bulkInsertSessions(path, count);
  return path;
}

async function startupMs(path: string): Promise<number> {
  const manager = new SessionManager({ store: `sqlite:${path}`, sweepIntervalMs: 0 });
  const t0 = performance.now();
  await manager.startup();
  const ms = performance.now() - t0;
  await manager.shutdown();
  return ms;
}

try {
  const small = await prepare(10);
  const large = await prepare(100_000);
  await startupMs(small);
  await startupMs(large);
  const times: { small: number[]; large: number[] } = { small: [], large: [] };
  for (let i = 0; i < 30; i++) {
    times.small.push(await startupMs(small));
    times.large.push(await startupMs(large));
  }
  const [a, b] = [median(times.small), median(times.large)];
  console.log('SessionManager.startup() on a SQLite file (medians of 30)');
  console.log('| stored sessions | startup ms |');
  console.log('|---|---|');
  console.log(`| 10 | ${a.toFixed(2)} |`);
  console.log(`| 100,000 | ${b.toFixed(2)} |`);
  console.log(`ratio: ${(b / a).toFixed(2)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
