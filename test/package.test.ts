import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDriver } from '../src/core/driver.js';
import { SessionDbError } from '../src/index.js';

const root = join(import.meta.dirname, '..');

/** Runs an ES module snippet inside the repo, where `sessiondb` resolves to the built package. */
function runModule(code: string): { stdout: string; stderr: string; status: number | null } {
  return spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' });
}

describe('the built package', () => {
  it('importing the root entry loads no database driver (neither better-sqlite3 nor pg); opening a SQLite store loads its driver', () => {
    const run = runModule(`
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const loaded = () => Object.keys(require.cache).some((k) => k.includes('/node_modules/better-sqlite3/') || k.includes('/node_modules/pg/'));
      const { openStore } = await import('sessiondb');
      const before = loaded();
      const store = await openStore('sqlite::memory:');
      await store.close();
      console.log(JSON.stringify({ before, after: loaded() }));
    `);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ before: false, after: true });
  });

  it('every subpath export resolves', () => {
    const run = runModule(`
      const root = await import('sessiondb');
      const sqlite = await import('sessiondb/sqlite');
      const memory = await import('sessiondb/memory');
      const testing = await import('sessiondb/testing');
      const postgres = await import('sessiondb/postgres');
      console.log(JSON.stringify([typeof root.openStore, typeof sqlite.SqliteStore, typeof memory.MemoryStore, typeof testing.runConformanceSuite, typeof postgres.PostgresStore]));
    `);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual(['function', 'function', 'function', 'function', 'function']);
  });

  it('a missing driver is a "missing_dependency" error naming the install command', async () => {
    const err = await loadDriver('sessiondb-no-such-driver', 'The test store', () => import('sessiondb-no-such-driver' as string)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SessionDbError);
    expect((err as SessionDbError).code).toBe('missing_dependency');
    expect((err as Error).message).toContain('npm install sessiondb-no-such-driver');
  });
});
