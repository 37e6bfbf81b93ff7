/**
 * sessiondb's benchmark suite: SessionStore, AdkSessionService, Google ADK's
 * DatabaseSessionService and a raw-driver floor, on SQLite and PostgreSQL, in
 * interleaved rounds. Prints Markdown tables and the targets, and writes every
 * figure to bench/results/latest.json (a --quick run: quick.tmp.json).
 *
 *   npm run bench                    (about 14 minutes, the search benchmark included; SESSIONDB_BENCH_PG_URL overrides the server)
 *   npm run bench -- --only search   (the search benchmark alone; --search-backend sqlite|postgres for one)
 *   npm run bench -- --quick         (under 2 minutes)
 *   npm run bench -- --only sqlite   (or postgres, or mongodb)
 *   MONGODB_URL=mongodb://… npm run bench   (also MongoDB: the store, AdkSessionService and a raw-driver floor)
 *
 * The anchors live in bench/package.json; the first run installs them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR, pinAnchors } from './anchors.js';

function installAnchors(): void {
  const pkg = JSON.parse(readFileSync(join(BENCH_DIR, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const missing = Object.keys(pkg.dependencies ?? {}).filter((name) => !existsSync(join(BENCH_DIR, 'node_modules', name, 'package.json')));
  if (existsSync(join(BENCH_DIR, 'node_modules', '.package-lock.json')) && missing.length === 0) return;
  process.stderr.write('bench: installing the anchors into bench/node_modules (once; the native drivers build from source)\n');
  const env = { ...process.env };
  // Building the native drivers needs Node's headers; a system Node keeps them under /usr.
  if (!env['npm_config_nodedir'] && existsSync('/usr/include/node/node.h')) env['npm_config_nodedir'] = '/usr';
  const npm = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: BENCH_DIR, stdio: ['ignore', 'inherit', 'inherit'], env });
  if (npm.status !== 0) throw new Error(`npm ci in bench/ failed (exit ${npm.status})`);
}

installAnchors();
pinAnchors();
await import('./suite.js');
