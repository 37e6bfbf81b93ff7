import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, createCluster } from 'redis';
import { RedisStore, type RedisStoreOptions } from '../src/stores/redis/index.js';
import type { ConformanceHarness } from '../src/testing/index.js';
import { freePort } from './pg-helpers.js';

/** The local test server; override with SESSIONDB_TEST_REDIS_URL. Tests use their own key prefixes and never flush it. */
export const REDIS_URL = process.env['SESSIONDB_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379/0';
const REDIS_SERVER = '/usr/bin/redis-server';
const REDIS_CLI = '/usr/bin/redis-cli';

/** Why the local Redis cannot be used, or null when it can. In CI an unreachable server fails instead of skipping. */
export async function redisUnavailableReason(): Promise<string | null> {
  const client = createClient({ url: REDIS_URL, socket: { connectTimeout: 2000, reconnectStrategy: false } });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (err) {
    const reason = `Redis unreachable at ${REDIS_URL}: ${(err as Error).message}`;
    if (process.env['CI']) throw new Error(`${reason} (CI requires it; .ci/run starts it)`);
    return reason;
  } finally {
    client.destroy();
  }
}

/** Why the tests cannot start their own Redis servers, or null when they can. In CI a missing binary fails instead. */
export function redisBinaryMissingReason(): string | null {
  const missing = [REDIS_SERVER, REDIS_CLI].filter((p) => !existsSync(p));
  if (missing.length === 0) return null;
  const reason = `${missing.join(' and ')} not installed (apt-get install redis-server)`;
  if (process.env['CI']) throw new Error(`${reason}; CI requires it`);
  return reason;
}

let prefixes = 0;
/** A key prefix no other test (or test process) uses. */
export function uniquePrefix(tag: string): string {
  return `sdbt:${tag}:${process.pid}:${++prefixes}:`;
}

/** Deletes every key under `prefix` on every master of the server or cluster at `url` (SCAN + UNLINK; tests only). */
export async function deletePrefix(url: string, prefix: string): Promise<void> {
  const pattern = `${prefix}*`;
  const clean = async (client: { scanIterator(o: object): AsyncIterable<string[]>; unlink(keys: string[]): Promise<unknown> }) => {
    for await (const keys of client.scanIterator({ MATCH: pattern, COUNT: 1000 })) {
      for (const key of keys) await client.unlink([key]); // one by one: keys of a page may live in different slots
    }
  };
  const cluster = url.startsWith('redis+cluster://');
  if (!cluster) {
    const client = createClient({ url });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await clean(client as never);
    } finally {
      client.destroy();
    }
    return;
  }
  const nodes = url.slice('redis+cluster://'.length).split('?')[0]!.split(',');
  const c = createCluster({ rootNodes: nodes.map((n) => ({ url: `redis://${n}` })) });
  c.on('error', () => undefined);
  await c.connect();
  try {
    for (const master of c.masters) {
      const client = await c.nodeClient(master);
      for await (const keys of client.scanIterator({ MATCH: pattern, COUNT: 1000 })) {
        for (const key of keys) await c.unlink(key);
      }
    }
  } finally {
    c.destroy();
  }
}

const created = new WeakMap<object, { prefix: string; base: string }>();

/** The URL of `base` with a prefix parameter added. */
export function withPrefix(base: string, prefix: string): string {
  return `${base}${base.includes('?') ? '&' : '?'}prefix=${encodeURIComponent(prefix)}`;
}

/** A conformance harness: each case gets a store under its own new prefix, whose keys are deleted afterwards. */
export function redisHarness(name: string, base: () => string, extra: Partial<RedisStoreOptions> = {}, processes = { count: 4, appendsEach: 500 }): ConformanceHarness {
  return {
    capabilities: { sharedAcrossProcesses: true },
    name,
    async create() {
      const prefix = uniquePrefix('c');
      const store = new RedisStore({ url: withPrefix(base(), prefix), ...extra });
      await store.migrate();
      created.set(store, { prefix, base: base() });
      return store;
    },
    async destroy(store) {
      await store.close();
      const { prefix, base: url } = created.get(store)!;
      await deletePrefix(url, prefix);
    },
    sharedUrl(store) {
      const { prefix, base: url } = created.get(store)!;
      return withPrefix(url, prefix);
    },
    processes,
  };
}

/** A redis-server the test started, on a free loopback port. */
export interface TestServer {
  port: number;
  dir: string;
  child: ChildProcess;
  /** Stops it with a signal and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and directory (after stop). */
  restart(): Promise<void>;
  /** Kills it and removes the directory it made. */
  dispose(): Promise<void>;
}

/** Starts redis-server with extra arguments (e.g. --appendonly yes) and waits until it answers PING. */
export async function startRedisServer(args: string[], options: { dir?: string; port?: number } = {}): Promise<TestServer> {
  const port = options.port ?? (await freePort());
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'sessiondb-redis-'));
  const server: TestServer = {
    port,
    dir,
    child: null as unknown as ChildProcess,
    async stop(signal = 'SIGTERM') {
      const child = server.child;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    },
    async restart() {
      server.child = launch();
      await waitForPing(port, server.child);
    },
    async dispose() {
      await server.stop('SIGKILL');
      liveServers.delete(server);
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
  const launch = () =>
    spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no', '--logfile', join(dir, `redis-${port}.log`), ...args], {
      stdio: 'ignore',
    });
  server.child = launch();
  liveServers.add(server);
  if (ownDir) ownDirs.add(dir);
  try {
    await waitForPing(port, server.child);
  } catch (err) {
    await server.dispose();
    throw err;
  }
  return server;
}

// Servers are killed, and their directories removed, when the test process exits, whatever happened.
const liveServers = new Set<TestServer>();
const ownDirs = new Set<string>();
process.once('exit', () => {
  for (const s of liveServers) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  for (const dir of ownDirs) rmSync(dir, { recursive: true, force: true });
});

async function waitForPing(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = spawnSync(REDIS_CLI, ['-p', String(port), 'ping'], { encoding: 'utf8' });
    if (r.stdout.trim() === 'PONG') return;
    if (child.exitCode !== null) throw new Error(`redis-server on port ${port} exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING within 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** redis-cli against a port; returns stdout. */
export function redisCli(port: number, args: string[]): string {
  const r = spawnSync(REDIS_CLI, ['-p', String(port), ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`redis-cli ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A Redis Cluster the test started: masters (and replicas) on free loopback ports. */
export interface TestCluster {
  url: string;
  masters: TestServer[];
  replicas: TestServer[];
  stop(): Promise<void>;
}

/**
 * Starts `masters` cluster nodes (each with `replicasEach` replicas), joins them
 * with `redis-cli --cluster create` and waits for `cluster_state:ok` on every node.
 */
export async function startRedisCluster(options: { masters?: number; replicasEach?: number; nodeTimeoutMs?: number } = {}): Promise<TestCluster> {
  const masters = options.masters ?? 3;
  const replicasEach = options.replicasEach ?? 0;
  const dir = mkdtempSync(join(tmpdir(), 'sessiondb-cluster-'));
  ownDirs.add(dir);
  const nodes: TestServer[] = [];
  try {
    for (let i = 0; i < masters * (1 + replicasEach); i++) {
      const port = await freePort();
      nodes.push(
        await startRedisServer(
          ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 1000), '--appendonly', 'no', '--repl-diskless-sync-delay', '0'],
          { dir, port },
        ),
      );
    }
    const create = spawnSync(REDIS_CLI, ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', String(replicasEach), '--cluster-yes'], {
      encoding: 'utf8',
    });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}\n${create.stderr}`);
    const deadline = Date.now() + 30_000;
    for (const n of nodes) {
      while (!/cluster_state:ok/.test(redisCli(n.port, ['cluster', 'info']))) {
        if (Date.now() > deadline) throw new Error(`cluster node ${n.port} not ok within 30 s`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    // With replicas: wait until every master has its replicas online (in sync).
    if (replicasEach > 0) {
      const online = (info: string) => (info.match(/state=online/g) ?? []).length;
      for (const n of nodes) {
        for (let info = redisCli(n.port, ['info', 'replication']); /role:master/.test(info) && online(info) < replicasEach; info = redisCli(n.port, ['info', 'replication'])) {
          if (Date.now() > deadline) throw new Error(`the replicas of ${n.port} were not in sync within 30 s`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
  } catch (err) {
    await Promise.all(nodes.map((n) => n.dispose()));
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const roles = nodes.map((n) => /role:master/.test(redisCli(n.port, ['info', 'replication'])));
  return {
    url: `redis+cluster://${nodes
      .filter((_, i) => roles[i])
      .map((n) => `127.0.0.1:${n.port}`)
      .join(',')}`,
    masters: nodes.filter((_, i) => roles[i]),
    replicas: nodes.filter((_, i) => !roles[i]),
    async stop() {
      await Promise.all(nodes.map((n) => n.dispose()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
