// The conformance suite through Debian's pgbouncer in transaction mode. Without PostgreSQL or
// without pgbouncer it is skipped, by name, locally; under CI=1 either one missing fails.
import { afterAll, describe, it } from 'vitest';
import { runConformanceSuite } from '../src/testing/index.js';
import { pgBouncerUnavailableReason, pgHarness, pgUnavailableReason, startPgBouncer } from './pg-helpers.js';

const unavailable = (await pgUnavailableReason()) ?? pgBouncerUnavailableReason();
const runner = { describe, it, skip: it.skip };

if (unavailable) {
  describe.skip(`conformance: PostgresStore through PgBouncer (skipped: ${unavailable})`, () => {
    it('needs PostgreSQL and pgbouncer', () => undefined);
  });
} else {
  let bouncer: ReturnType<typeof startPgBouncer> | null = null;
  const bouncerUrl = async () => (await (bouncer ??= startPgBouncer())).url;
  afterAll(async () => {
    if (bouncer) await (await bouncer).stop();
  });
  runConformanceSuite(runner, pgHarness('PostgresStore (through PgBouncer, transaction mode)', bouncerUrl));
}
