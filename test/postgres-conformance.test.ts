import { describe, it } from 'vitest';
import { runConformanceSuite } from '../src/testing/index.js';
import { pgHarness, PG_URL, pgUnavailableReason } from './pg-helpers.js';

const unavailable = await pgUnavailableReason();
const runner = { describe, it, skip: it.skip };

if (unavailable) {
  describe.skip(`conformance: PostgresStore (skipped: ${unavailable})`, () => {
    it('needs PostgreSQL', () => undefined);
  });
} else {
  runConformanceSuite(runner, pgHarness('PostgresStore (direct)', async () => PG_URL));
}
// Through PgBouncer: test/postgres-pgbouncer.test.ts.
