import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR } from './anchors.js';
import { MONGODB_URL, PG_URL, planFor, REDIS_URL, type Plan } from './config.js';
import { machineInfo, versions } from './machine.js';
import { checkTargets, FLUSH_OFF_TITLE, flushOffMarkdown, flushOffSection, markdownTables, targetLines, type SuiteResult } from './report.js';
import { checkOneAdk, runArena, type Measurement } from './run.js';
import { mongoArena } from './systems/mongodb.js';
import { postgresArena } from './systems/postgres.js';
import { redisArena, redisServerInfo } from './systems/redis.js';
import { sqliteArena } from './systems/sqlite.js';
import { postgresSearchArena } from './search/postgres.js';
import { runSearchBench, SEARCH_FULL, SEARCH_QUICK, searchMarkdown, searchTargets, type SearchResult } from './search/run.js';
import { sqliteSearchArena } from './search/sqlite.js';
import type { Arena, Backend, Variant } from './systems/system.js';

function notes(plan: Plan): string[] {
  const { sequentialAppends: seq, concurrent, reads, creates } = plan;
  return [
    `Medians of ${plan.rounds} rounds after a warm-up round; each round runs every workload on every system, the systems in a rotated order. Ratios are of operations per second.`,
    `ADK's DatabaseSessionService is slow, so it runs fewer calls per round: ${seq.slow} sequential appends (others ${seq.fast}), ${concurrent.eventsPerSession.slow} events per session with ${concurrent.writers} writers (others ${concurrent.eventsPerSession.fast}), ${creates.slow} creates (others ${creates.fast}), ${reads.slow} calls per read workload (others ${reads.fast}). Rates are per second either way.`,
    'Same events for all: an ADK event (~300 bytes of model text, a one-key state delta); SessionStore and the floors store exactly what AdkSessionService hands the store.',
    'Floors: raw better-sqlite3, one IMMEDIATE transaction per append on the store\'s own schema with the same pragmas; raw pg, one round trip (one statement) per append. Their reads are one indexed query of the rows (JSON parsed), their listing a keyset query.',
    "ADK on SQLite runs with the same WAL journal and synchronous=NORMAL (set through MikroORM's pool afterCreate); its default would be a rollback journal with synchronous=FULL.",
    'Read workloads: sessions of 100 / 1,000 / 10,000 / 100,000 events and the 10,000 listed sessions are pre-filled by copying, in SQL, an event (a session) the system itself wrote through its API into its own tables; the timed reads go through the API. AdkSessionService and ADK page by offset (ADK\'s API has no cursor); SessionStore by cursor; the floor by keyset.',
    'PostgreSQL: fresh schemas (ADK: a fresh database) per run, dropped afterwards; autovacuum is off on the benchmark machine, so the tables are ANALYZEd after the warm-up round and after the pre-fills.',
    `Redis: the local server (${REDIS_URL}) with its own persistence settings (reported under versions), the same for both systems; the floor is raw node-redis, one EVALSHA of a minimal script per call writing (or reading) the same keys as RedisStore, without its checks; both on one connection (node-redis pipelines the concurrent writers' calls). Read sessions and the listed sessions are pre-filled by copying, with pipelined commands, an event (a session) each system wrote through its API. The Redis arena has no ADK systems (ADK has no Redis session service).`,
    MONGODB_URL
      ? 'MongoDB (MONGODB_URL): MongoStore, AdkSessionService on a MongoStore, and a raw-driver floor on the store\'s own collections and indexes (an append: one findOneAndUpdate of the session and one insert, in a transaction where the server has them), each in a fresh database, write concern majority; Google ADK has no MongoDB service, so there is no ADK column.'
      : 'MongoDB: left out (set MONGODB_URL to a server to include it).',
    `"${FLUSH_OFF_TITLE}": workload 1 again, after the PostgreSQL runs, on fresh databases set to synchronous_commit = off for all four systems, ${plan.flushOff.rounds} rounds of ${plan.flushOff.sequentialAppends.fast} appends (ADK ${plan.flushOff.sequentialAppends.slow}). Not durable; it leaves out the WAL flush every durable commit waits for, to show the software overhead alone. Targets are checked on the durable figures.`,
  ];
}

function onlyBackend(argv: readonly string[]): Backend | 'search' | null {
  const i = argv.indexOf('--only');
  const value = i >= 0 ? argv[i + 1] : undefined;
  if (value === undefined) return null;
  if (value !== 'sqlite' && value !== 'postgres' && value !== 'redis' && value !== 'mongodb' && value !== 'search') throw new Error('--only takes sqlite, postgres, redis, mongodb or search');
  if (value === 'mongodb' && !MONGODB_URL) throw new Error('--only mongodb needs MONGODB_URL');
  return value;
}

const plan = planFor(process.argv);
/** `--only search --search-backend postgres`: the search benchmark on one backend. */
const searchOnly = process.argv.includes('--search-backend') ? process.argv[process.argv.indexOf('--search-backend') + 1] : undefined;
const only = onlyBackend(process.argv);
checkOneAdk();
const startedAt = new Date();
const t0 = performance.now();
const runId = `sdb_bench_${process.pid}`;
const arenas: [Backend, Variant, () => Promise<Arena>][] = [
  ['sqlite', 'standard', sqliteArena],
  ['postgres', 'standard', () => postgresArena(PG_URL, runId)],
  ['postgres', 'flush-off', () => postgresArena(PG_URL, runId, { flushOff: true })],
  ['redis', 'standard', () => redisArena(REDIS_URL, runId)],
  ...(MONGODB_URL ? [['mongodb', 'standard', () => mongoArena(MONGODB_URL!, runId)] as [Backend, Variant, () => Promise<Arena>]] : []),
];
const measurements: Measurement[] = [];
let synchronousCommit: Record<string, string> | undefined;
for (const [backend, , open] of arenas) {
  if (only && backend !== only) continue;
  const arena = await open();
  try {
    if (arena.variant === 'flush-off') synchronousCommit = arena.synchronousCommit;
    measurements.push(...(await runArena(arena, plan)));
  } finally {
    await arena.dispose();
  }
}
// The search benchmark: its own stores of 1,000,000 events (--only search runs it alone).
const searchResults: SearchResult[] = [];
const searchPlan = plan.mode === 'full' ? SEARCH_FULL : SEARCH_QUICK;
for (const [backend, open] of [['sqlite', sqliteSearchArena], ['postgres', () => postgresSearchArena(PG_URL, runId)]] as const) {
  if (only && only !== 'search' && only !== backend) continue;
  if (only === 'search' && searchOnly && searchOnly !== backend) continue;
  process.stderr.write(`bench: search on ${backend}\n`);
  const arena = await open();
  try {
    searchResults.push(await runSearchBench(arena, searchPlan, (line) => process.stderr.write(`${line}\n`)));
  } finally {
    await arena.dispose();
  }
}
const targets = [...checkTargets(measurements, plan), ...searchTargets(searchResults)];
const flushOff = flushOffSection(measurements, synchronousCommit);
const result: SuiteResult = {
  suite: 'sessiondb bench',
  mode: plan.mode,
  startedAt: startedAt.toISOString(),
  durationSeconds: Math.round((performance.now() - t0) / 1000),
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  machine: machineInfo(),
  versions: { ...(await versions(PG_URL)), redisServer: await redisServerInfo(REDIS_URL) },
  notes: notes(plan),
  plan,
  measurements,
  ...(flushOff ? { flushOff } : {}),
  ...(searchResults.length ? { search: { plan: searchPlan, results: searchResults } } : {}),
  targets,
};
const resultsDir = join(BENCH_DIR, 'results');
mkdirSync(resultsDir, { recursive: true });
// Only a full run of everything replaces the committed results.
const file = join(resultsDir, plan.mode === 'full' && !only ? 'latest.json' : `${plan.mode}${only ? `-${only}` : ''}.tmp.json`);
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);

const m = result.machine;
console.log(`## sessiondb bench (${plan.mode}), ${result.startedAt}`);
console.log('');
const rs = result.versions.redisServer!;
console.log(`${m.cpuCount} x ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}; PostgreSQL ${result.versions.postgresServer}, SQLite ${result.versions.sqliteLibrary}, Redis ${rs.version} (appendonly ${rs.appendonly}, appendfsync ${rs.appendfsync}); @google/adk ${result.versions['@google/adk']}, MikroORM ${result.versions['@mikro-orm/core']}, better-sqlite3 ${result.versions['better-sqlite3']}, pg ${result.versions.pg}, redis ${result.versions.redis}; sessiondb ${result.versions.sessiondb} (${result.versions.sessiondbCommit})`);
console.log('');
console.log(markdownTables(measurements));
if (flushOff) console.log(flushOffMarkdown(measurements, flushOff, plan));
if (searchResults.length) console.log(`${searchMarkdown(searchResults)}\n`);
for (const n of result.notes) console.log(`- ${n}`);
console.log('');
console.log(targetLines(targets));
console.log('');
console.log(`${result.durationSeconds} s; every figure: ${file}`);
