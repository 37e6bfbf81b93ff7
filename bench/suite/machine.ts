import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, freemem, platform, release, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { anchorVersion, BENCH_DIR } from './anchors.js';

export interface MachineInfo {
  cpuModel: string;
  cpuCount: number;
  memoryGiB: number;
  freeMemoryGiB: number;
  os: string;
  node: string;
}

export interface Versions {
  sessiondb: string;
  sessiondbCommit: string;
  '@google/adk': string;
  '@mikro-orm/core': string;
  '@mikro-orm/sqlite': string;
  '@mikro-orm/postgresql': string;
  'better-sqlite3': string;
  pg: string;
  redis: string;
  /** The Redis server the Redis arena ran on, and its persistence settings. */
  redisServer?: { version: string; appendonly: string; appendfsync: string };
  /** The driver MikroORM uses for ADK on SQLite. */
  sqlite3: string;
  /** The SQLite library better-sqlite3 is built with. */
  sqliteLibrary: string;
  postgresServer: string;
}

const gib = (bytes: number) => Math.round((bytes / 2 ** 30) * 10) / 10;

export function machineInfo(): MachineInfo {
  const cpu = cpus();
  return {
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cpuCount: cpu.length,
    memoryGiB: gib(totalmem()),
    freeMemoryGiB: gib(freemem()),
    os: `${osType()} ${release()} (${platform()})`,
    node: process.version,
  };
}

function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: BENCH_DIR, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', '../src'], { cwd: BENCH_DIR, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} (src modified)` : head;
  } catch {
    return 'unknown';
  }
}

export async function versions(pgUrl: string): Promise<Versions> {
  const root = JSON.parse(readFileSync(join(BENCH_DIR, '..', 'package.json'), 'utf8')) as { version: string };
  const memory = new Database(':memory:');
  const sqliteLibrary = memory.prepare('SELECT sqlite_version()').pluck().get() as string;
  memory.close();
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  const postgresServer = ((await client.query('SHOW server_version')).rows[0] as { server_version: string }).server_version;
  await client.end();
  return {
    sessiondb: root.version,
    sessiondbCommit: gitCommit(),
    '@google/adk': anchorVersion('@google/adk'),
    '@mikro-orm/core': anchorVersion('@mikro-orm/core'),
    '@mikro-orm/sqlite': anchorVersion('@mikro-orm/sqlite'),
    '@mikro-orm/postgresql': anchorVersion('@mikro-orm/postgresql'),
    'better-sqlite3': anchorVersion('better-sqlite3'),
    pg: anchorVersion('pg'),
    redis: anchorVersion('redis'),
    sqlite3: anchorVersion('sqlite3'),
    sqliteLibrary,
    postgresServer,
  };
}
