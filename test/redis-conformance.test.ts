import { describe, it } from 'vitest';
import { runConformanceSuite } from '../src/testing/index.js';
import { REDIS_URL, redisHarness, redisUnavailableReason } from './redis-helpers.js';

const unavailable = await redisUnavailableReason();

if (unavailable) {
  describe.skip(`conformance: RedisStore (skipped: ${unavailable})`, () => {
    it('needs Redis', () => undefined);
  });
} else {
  runConformanceSuite({ describe, it, skip: it.skip }, redisHarness('RedisStore (one server)', () => REDIS_URL));
}
