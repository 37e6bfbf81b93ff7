import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startServer } from './helpers.js';
import { runExample, testedExamples } from './readme-helpers.js';
import { lazyStandIn, standInUnavailableReason } from './mongo-helpers.js';
import { deletePrefix, REDIS_URL, redisUnavailableReason, uniquePrefix } from './redis-helpers.js';

const root = join(import.meta.dirname, '..');
const redisUnavailable = await redisUnavailableReason();

describe('README', () => {
  it('every example marked in the README is run by some test file', () => {
    const marked = [...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/<!-- readme-example: ([\w-]+) -->/g)].map((m) => m[1]!);
    const tested = testedExamples();
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
