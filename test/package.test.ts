import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDriver } from '../src/core/driver.js';
import { SessionDbError } from '../src/index.js';
import { runRecordingModules } from './module-hooks.js';

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

  it('every subpath export resolves, and importing one loads no database driver', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    const subpaths = Object.keys(pkg.exports).filter((p) => p !== './package.json').map((p) => (p === '.' ? 'sessiondb' : `sessiondb/${p.slice(2)}`));
    expect(subpaths).toEqual(expect.arrayContaining(['sessiondb/redis', 'sessiondb/mongodb', 'sessiondb/store-kit']));
    const run = runModule(`
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const drivers = ['better-sqlite3', 'pg', 'redis', '@redis/client', 'mongodb'];
      const out = {};
      for (const path of ${JSON.stringify(subpaths)}) {
        if (path === 'sessiondb/adk') continue; // imports @google/adk by design (its peer)
        const mod = await import(path);
        out[path] = Object.keys(mod).length > 0;
      }
      const loaded = drivers.filter((d) => Object.keys(require.cache).some((k) => k.includes('/node_modules/' + d + '/')));
      console.log(JSON.stringify({ out, loaded }));
    `);
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout) as { out: Record<string, boolean>; loaded: string[] };
    for (const path of subpaths.filter((p) => p !== 'sessiondb/adk')) expect(result.out[path], path).toBe(true);
    expect(result.loaded).toEqual([]);
  });

  it('importing sessiondb, sessiondb/server or sessiondb/client loads no agent framework, MCP SDK or console code (every module resolution recorded)', () => {
    const run = runRecordingModules(`
      await import('sessiondb');
      await import('sessiondb/server');
      await import('sessiondb/client');
    `);
    expect(run.stderr).toBe('');
    const resolved = run.resolved;
    expect(resolved.some((u) => u.includes('/dist/index.js'))).toBe(true);
    const frameworks = ['@openai/', '/ai/', '@ai-sdk/', '@langchain/', '@modelcontextprotocol/', '/preact/', '/swagger-ui-dist/', '/playwright-core/', '@opentelemetry/'];
    expect(resolved.filter((u) => frameworks.some((f) => u.includes('/node_modules/' + f.replace(/^\//, ''))))).toEqual([]);
  });

  it('the root entry exports forkSession, and its types name the search, fork, rewind and export types', () => {
    const run = runModule(`
      const m = await import('sessiondb');
      console.log(JSON.stringify([typeof m.forkSession, typeof m.exportSession, typeof m.HttpStore.prototype.searchEvents, typeof m.HttpStore.prototype.forkSession]));
    `);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual(['function', 'function', 'function', 'function']);
    const types = ['index.d.ts', 'core/types.d.ts', 'transfer/fork.d.ts', 'transfer/session-export.d.ts', 'core/store.d.ts'].map((f) => readFileSync(join(root, 'dist', f), 'utf8')).join('\n');
    const rootTypes = readFileSync(join(root, 'dist', 'index.d.ts'), 'utf8');
    expect(rootTypes).toMatch(/forkSession, type ForkOptions/);
    expect(rootTypes).toMatch(/type ExportOptions/);
    expect(rootTypes).toMatch(/MigrateOptions, MigrationProgress/);
    for (const name of ['SearchQuery', 'SearchPage', 'SearchHit', 'RewindInput', 'RewindResult', 'SupersededEvent', 'SupersededPage', 'StateChange', 'ForkOptions', 'ExportOptions']) {
      expect(types, name).toMatch(new RegExp(`export (interface|type) ${name}\\b`));
    }
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
