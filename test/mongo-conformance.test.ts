/**
 * The conformance suite on MongoStore.
 *
 * Here it runs against the wire-protocol stand-in (test/fixtures/mongo-standin.py):
 * the official driver talking to MockupDB in front of mongomock. It is NOT MongoDB.
 * It proves the store's queries, updates, cursors, duplicate-key handling and
 * transaction commands as the driver sends them, in both of the store's modes:
 * standalone (no transactions: the standalone write order) and replica set (every
 * write one transaction). It cannot prove: rollback (abortTransaction undoes
 * nothing; the store must not need it, and does not), isolation or concurrency of
 * its own (commands run one at a time), replication, write/read concerns, or that
 * the indexes are used (no query planner). With MONGODB_URL set, the same suite
 * also runs against that real server; without it, that run is skipped by name.
 *
 * Search takes both of the store's paths: the standalone stand-in answers `$text`
 * as a server without text search does (mongomock has none), so that store
 * detects it and scans (indexedSearch off); the replica-set stand-in runs with
 * its imitation of `$text` (--text-search, see the fixture: written from
 * MongoDB's documentation, not MongoDB), so that store uses its text-index path
 * (indexedSearch on). A real server has text search: on.
 */
import { describe, it } from 'vitest';
import { runConformanceSuite } from '../src/testing/index.js';
import { lazyStandIn, mongoHarness, MONGODB_URL, standInUnavailableReason } from './mongo-helpers.js';

const runner = { describe, it, skip: it.skip };
const unavailable = standInUnavailableReason();

if (unavailable) {
  describe.skip(`conformance: MongoStore on the stand-in (skipped: ${unavailable})`, () => {
    it('needs python3-mockupdb and python3-mongomock', () => undefined);
  });
} else {
  const standalone = lazyStandIn('standalone');
  runConformanceSuite(runner, mongoHarness('MongoStore (stand-in, standalone: no transactions; no $text: search scans)', async () => (await standalone()).url, { indexedSearch: false }));
  const replicaSet = lazyStandIn('replset', { textSearch: true });
  runConformanceSuite(
    runner,
    mongoHarness('MongoStore (stand-in, replica set: a transaction per write; imitated $text: search uses the text indexes)', async () => (await replicaSet()).url, { indexedSearch: true }),
  );
}

if (MONGODB_URL) {
  runConformanceSuite(runner, mongoHarness('MongoStore (real server at MONGODB_URL)', async () => MONGODB_URL!, { indexedSearch: true, processes: { count: 4, appendsEach: 500 } }));
} else {
  describe.skip('conformance: MongoStore on a real MongoDB server (skipped: set MONGODB_URL to run it)', () => {
    it('needs a MongoDB server', () => undefined);
  });
}
