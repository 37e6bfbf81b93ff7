import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PostgresStore, type PostgresStoreOptions } from '../src/stores/postgres/index.js';
import type { ConformanceHarness } from '../src/testing/index.js';

/** The local test server (trust auth, database "test"); override with SESSIONDB_TEST_PG_URL. */
export const PG_URL = process.env['SESSIONDB_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Why PostgreSQL cannot be used, or null when it can. In CI an unreachable server fails instead of skipping. */
export async function pgUnavailableReason(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    const reason = `PostgreSQL unreachable at ${PG_URL}: ${(err as Error).message}`;
    if (process.env['CI']) throw new Error(`${reason} (CI requires it; .ci/run starts it)`);
    return reason;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs one statement on the test server outside any store. */
export async function adminQuery(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

let schemaCounter = 0;
/** A schema name no other test (or test process) uses. */
export function uniqueSchema(tag: string): string {
  return `sdbt_${tag}_${process.pid}_${++schemaCounter}`;
}

export async function dropSchema(schema: string): Promise<void> {
  await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

const created = new WeakMap<object, { schema: string; url: string }>();

/** A conformance harness: each case gets a store on its own new schema, dropped afterwards. */
export function pgHarness(name: string, url: () => Promise<string>, extra: Partial<PostgresStoreOptions> = {}): ConformanceHarness {
  return {
    name,
    capabilities: { sharedAcrossProcesses: true, vacuum: true, indexedSearch: true },
    async create() {
      const schema = uniqueSchema('c');
      const connectionString = await url();
      const store = new PostgresStore({ connectionString, schema, max: 4, migrationConnectionString: PG_URL, ...extra });
      await store.migrate();
      created.set(store, { schema, url: connectionString });
      return store;
    },
    async destroy(store) {
      await store.close();
      await dropSchema(created.get(store)!.schema);
    },
    sharedUrl(store) {
      const { schema, url: base } = created.get(store)!;
      return `${base}?schema=${schema}&migrationUrl=${encodeURIComponent(PG_URL)}`;
    },
    processes: { count: 4, appendsEach: 500 },
  };
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** Where Debian's package installs pgbouncer (and where another system might put it). */
function pgBouncerBinary(): string | undefined {
  return ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer'].find((p) => spawnSync('test', ['-x', p]).status === 0);
}

/** Why the PgBouncer tests cannot run (pgbouncer not installed), or null when they can. In CI a missing pgbouncer fails instead of skipping. */
export function pgBouncerUnavailableReason(): string | null {
  if (pgBouncerBinary()) return null;
  const reason = 'pgbouncer is not installed (apt-get install -y pgbouncer)';
  if (process.env['CI']) throw new Error(`${reason}; CI requires it (.ci/run installs it)`);
  return reason;
}

/** Debian's pgbouncer in transaction mode in front of the test server, on a free port. */
export async function startPgBouncer(): Promise<{ url: string; stop(): Promise<void> }> {
  const bin = pgBouncerBinary();
  if (!bin) throw new Error('pgbouncer is not installed (apt-get install -y pgbouncer; .ci/run does this)');
  const target = new URL(PG_URL);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sessiondb-pgbouncer-'));
  chmodSync(dir, 0o777);
  const db = target.pathname.slice(1) || 'test';
  const user = decodeURIComponent(target.username || 'postgres');
  writeFileSync(join(dir, 'userlist.txt'), `"${user}" ""\n`);
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `${db} = host=${target.hostname} port=${target.port || 5432} dbname=${db}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      'max_client_conn = 500',
      'default_pool_size = 20',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      `pidfile = ${join(dir, 'pgbouncer.pid')}`,
      'ignore_startup_parameters = extra_float_digits,options',
    ].join('\n') + '\n',
  );
  for (const f of ['userlist.txt', 'pgbouncer.ini']) chmodSync(join(dir, f), 0o644);
  // pgbouncer refuses to run as root; -u drops to the postgres user.
  const args = process.getuid?.() === 0 ? ['-u', 'postgres', join(dir, 'pgbouncer.ini')] : [join(dir, 'pgbouncer.ini')];
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${db}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      break;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        let log = '';
        try {
          log = readFileSync(join(dir, 'pgbouncer.log'), 'utf8');
        } catch {
          /* no log yet */
        }
        throw new Error(`pgbouncer did not start: ${(err as Error).message}\n${stderr}\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
