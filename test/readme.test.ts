import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startServer, tempDir } from './helpers.js';
import { lazyStandIn, standInUnavailableReason } from './mongo-helpers.js';
import { deletePrefix, REDIS_URL, redisUnavailableReason, uniquePrefix } from './redis-helpers.js';

const root = join(import.meta.dirname, '..');
const work = tempDir('readme');
const redisUnavailable = await redisUnavailableReason();

/** The code block that follows `<!-- readme-example: NAME -->` in the README. */
function readmeExample(name: string): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const marker = `<!-- readme-example: ${name} -->`;
  const start = readme.indexOf(marker);
  if (start < 0) throw new Error(`README has no ${marker}`);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(start));
  if (!block) throw new Error(`no ts block after ${marker}`);
  return block[1]!;
}

function runExample(name: string, replace: [string, string][] = []): void {
  let code = readmeExample(name);
  for (const [from, to] of replace) code = code.replaceAll(from, to);
  const expected = [...code.matchAll(/console\.log\(.*\);\s*\/\/ (.*)$/gm)].map((m) => m[1]!.trim());
  expect(expected.length).toBeGreaterThan(0);
  // Inside the repo so that `import 'sessiondb'` resolves to this package (self-reference to dist).
  const dir = join(root, '.tmp');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `readme-${name}-${process.pid}.ts`);
  writeFileSync(file, code);
  const run = spawnSync(process.execPath, ['--import', pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href, file], { cwd: work, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  expect(run.stdout.trim().split('\n')).toEqual(expected);
}

describe('README', () => {
  it('every example marked in the README is run by a test here', () => {
    const marked = [...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/<!-- readme-example: ([\w-]+) -->/g)].map((m) => m[1]!);
    const tested = [...readFileSync(import.meta.filename, 'utf8').matchAll(/runExample\('([\w-]+)'/g)].map((m) => m[1]!);
    expect(marked.filter((name) => !tested.includes(name))).toEqual([]);
  });

  it('the library example runs against the built package and prints what its comments say', () => runExample('library'), 30_000);
  it('the store-kit example registers a backend and plans an append, printing what its comments say', () => runExample('store-kit'), 30_000);
  it('the search example runs against the built package and prints what its comments say', () => runExample('search'), 30_000);
  it('the fork and rewind example runs against the built package and prints what its comments say', () => runExample('fork-rewind'), 30_000);
  it('the SessionManager example runs against the built package and prints what its comments say', () => runExample('manager'), 60_000);
  it('the HttpStore example runs against a real server and prints what its comments say', async () => {
    const server = await startServer(['--db', 'memory:']);
    try {
      runExample('client', [['http://127.0.0.1:8787', server.url]]);
    } finally {
      server.child.kill('SIGTERM');
    }
  }, 60_000);
  it.skipIf(redisUnavailable)(`the Redis example runs against the local Redis and prints what its comments say${redisUnavailable ? ` (skipped: ${redisUnavailable})` : ''}`, async () => {
    const prefix = uniquePrefix('readme');
    try {
      runExample('redis', [['redis://127.0.0.1:6379/0?prefix=shop:', `${REDIS_URL}?prefix=${encodeURIComponent(prefix)}`]]);
    } finally {
      await deletePrefix(REDIS_URL, prefix);
    }
  }, 30_000);
  it('the Google ADK example runs against the built package and prints what its comments say', () => runExample('adk'), 60_000);
  const mongoStandIn = standInUnavailableReason() === null ? lazyStandIn('standalone') : null;
  it.skipIf(!mongoStandIn)(`the MongoDB example runs against the wire-protocol stand-in and prints what its comments say${mongoStandIn ? '' : ` (skipped: ${standInUnavailableReason()})`}`, async () => {
    runExample('mongodb', [['127.0.0.1:27017', `127.0.0.1:${(await mongoStandIn!()).port}`]]);
  }, 60_000);
});
