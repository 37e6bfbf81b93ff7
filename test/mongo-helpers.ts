/**
 * The MongoDB tests' servers: the wire-protocol stand-in (test/fixtures/mongo-standin.py,
 * MockupDB in front of mongomock; not MongoDB, see that file for what it cannot prove),
 * started on a free loopback port and killed when the test file ends, and a real server
 * when MONGODB_URL is set.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll } from 'vitest';
import { MongoStore, type MongoStoreOptions } from '../src/stores/mongodb/index.js';
import type { ConformanceHarness } from '../src/testing/index.js';

/** A real MongoDB server for the tests that need one (the suite, the race and the crash tests), or undefined. */
export const MONGODB_URL = process.env['MONGODB_URL'] || undefined;

/** Debian's python3 sees Debian's python3-mockupdb and python3-mongomock; another python3 on PATH may not. */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const SCRIPT = join(import.meta.dirname, 'fixtures', 'mongo-standin.py');

export type StandInMode = 'standalone' | 'replset' | 'sharded';

/** Why the stand-in cannot run, or null when it can. In CI a missing package fails instead of skipping. */
export function standInUnavailableReason(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import mockupdb, mongomock'], { encoding: 'utf8' });
  if (probe.status === 0) return null;
  const why = (probe.error?.message ?? probe.stderr.trim().split('\n').pop()) || `exit ${probe.status}`;
  const reason = `the MongoDB wire-protocol stand-in needs python3-mockupdb and python3-mongomock (${why})`;
  if (process.env['CI']) throw new Error(`${reason}; CI requires them (.ci/run installs them)`);
  return reason;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A running stand-in: its base URL (no database) and a way to stop it. */
export interface StandIn {
  mode: StandInMode;
  port: number;
  /** `mongodb://127.0.0.1:<port>/` (with `replicaSet=standin` in replica-set mode). */
  url: string;
  stop(): Promise<void>;
}

export interface StandInOptions {
  /** Answer `$text` with the stand-in's imitation (see mongo-standin.py); without it `$text` fails as on a server without text search. */
  textSearch?: boolean;
}

/** Starts the stand-in on a free loopback port; resolves once it listens. */
export function startStandIn(mode: StandInMode, options: StandInOptions = {}): Promise<StandIn> {
  const child = spawn(PYTHON, [SCRIPT, '--mode', mode, ...(options.textSearch ? ['--text-search'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const stop = async () => {
    running.delete(child);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`the stand-in did not start within 15 s: ${err}`));
    }, 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      const port = Number(m[1]);
      const url = `mongodb://127.0.0.1:${port}/${mode === 'replset' ? '?replicaSet=standin' : ''}`;
      resolve({ mode, port, url, stop });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the stand-in exited (${code}) before listening: ${err}`));
    });
  });
}

/** A stand-in started on first use and stopped when the test file ends (also when it fails). */
export function lazyStandIn(mode: StandInMode, options: StandInOptions = {}): () => Promise<StandIn> {
  let started: Promise<StandIn> | null = null;
  afterAll(async () => {
    if (started) await (await started.catch(() => null))?.stop();
  });
  return () => (started ??= startStandIn(mode, options));
}

let databaseCounter = 0;
/** A database name no other test (or test process) uses. */
export function uniqueDatabase(tag: string): string {
  return `sdbt_${tag}_${process.pid}_${++databaseCounter}`;
}

/** The URL with sessiondb's `database` parameter added (keeps the path, which is also the authentication database). */
export function withDatabase(url: string, database: string): string {
  return `${url}${url.includes('?') ? '&' : url.replace(/^[a-z+]+:\/\//i, '').includes('/') ? '?' : '/?'}database=${database}`;
}

/** Drops a test database through a client of its own. */
export async function dropDatabase(url: string, database: string): Promise<void> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 });
  try {
    await client.db(database).dropDatabase();
  } finally {
    await client.close();
  }
}

const databases = new WeakMap<object, string>();

/**
 * A conformance harness: each case gets a store on a database of its own, dropped afterwards.
 * `indexedSearch`: whether the server under test answers `$text` (the store then declares it).
 */
export function mongoHarness(
  name: string,
  baseUrl: () => Promise<string>,
  options: { indexedSearch: boolean; extra?: Partial<MongoStoreOptions>; processes?: { count: number; appendsEach: number } },
): ConformanceHarness {
  const { extra = {}, processes = { count: 2, appendsEach: 150 } } = options;
  let base = '';
  return {
    name,
    capabilities: { sharedAcrossProcesses: true, indexedSearch: options.indexedSearch },
    async create() {
      base = await baseUrl();
      const database = uniqueDatabase('c');
      const store = new MongoStore({ url: base, database, ...extra });
      await store.migrate();
      databases.set(store, database);
      return store;
    },
    async destroy(store) {
      await store.close();
      await dropDatabase(base, databases.get(store)!);
    },
    sharedUrl: (store) => withDatabase(base, databases.get(store)!),
    processes,
  };
}
