import assert from 'node:assert/strict';
import { rejectsWith, type ConformanceCase } from '../harness.js';

const group = 'validation';

export const validationCases: ConformanceCase[] = [
  {
    group,
    name: 'names must be non-empty strings within the length limit, without control characters',
    async run({ store, key }) {
      const k = key();
      const max = store.limits.maxNameLength;
      const create = (over: Record<string, unknown>) =>
        store.createSession({ appName: k.appName, userId: k.userId, id: k.sessionId, ...over } as never);
      await rejectsWith(create({ appName: '' }), 'invalid', 'appName');
      await rejectsWith(create({ userId: 42 }), 'invalid', 'userId');
      await rejectsWith(create({ id: 'x'.repeat(max + 1) }), 'too_large', 'id');
      await rejectsWith(create({ id: 'tab\there' }), 'invalid', 'id');
      await rejectsWith(create({ appName: 'nul\u0000' }), 'invalid', 'appName');
      await rejectsWith(create({ tenant: '' }), 'invalid', 'tenant');
      await rejectsWith(create({ metadata: 'x' }), 'invalid', 'metadata');
      await rejectsWith(create({ state: [1] }), 'invalid', 'state');
      await rejectsWith(create({ status: 'nope' }), 'invalid', 'status');
      await rejectsWith(create({ expiresAt: 'tomorrow' }), 'invalid', 'expiresAt');
      await rejectsWith(store.getSession({ ...k, sessionId: 'x'.repeat(max + 1) }), 'too_large', 'sessionId');
      await rejectsWith(store.getSession(null as never), 'invalid', 'key');
      const ok = await create({ id: 'x'.repeat(max) });
      assert.equal(ok.id.length, max);
      assert.equal((await store.listSessions({ appName: k.appName })).sessions.length, 1, 'only the valid create stored anything');
    },
  },
  {
    group,
    name: 'errors say what was wrong and carry the field and limit',
    async run({ store, session }) {
      const k = await session();
      const err = await rejectsWith(store.appendEvents(k, [{ author: 'a'.repeat(store.limits.maxNameLength + 1) }]), 'too_large');
      assert.equal(err.details?.['field'], 'events[0].author');
      assert.equal(err.details?.['limit'], store.limits.maxNameLength);
      assert.match(err.message, /limit/);
      const big = await rejectsWith(store.createSession({ appName: k.appName, userId: k.userId, metadata: { blob: 'x'.repeat(store.limits.maxJsonBytes) } }), 'too_large');
      assert.equal(big.details?.['field'], 'metadata');
    },
  },
];
