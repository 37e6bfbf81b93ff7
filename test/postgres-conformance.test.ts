import { afterAll, describe, it } from 'vitest';
import { runConformanceSuite } from '../src/testing/index.js';
import { pgHarness, PG_URL, pgUnavailableReason, startPgBouncer } from './pg-helpers.js';

const unavailable = await pgUnavailableReason();
const runner = { describe, it, skip: it.skip };

if (unavailable) {
  describe.skip(`conformance: PostgresStore (skipped: ${unavailable})`, () => {
    it('needs PostgreSQL', () => undefined);
  });
} else {
  runConformanceSuite(runner, pgHarness('PostgresStore (direct)', async () => PG_URL));

  let bouncer: ReturnType<typeof startPgBouncer> | null = null;
  const bouncerUrl = async () => (await (bouncer ??= startPgBouncer())).url;
  afterAll(async () => {
    if (bouncer) await (await bouncer).stop();
  });
  runConformanceSuite(runner, pgHarness('PostgresStore (through PgBouncer, transaction mode)', bouncerUrl));
}
