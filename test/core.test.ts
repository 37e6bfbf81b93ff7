import { describe, expect, it } from 'vitest';
import { parseStoreUrl, redactSecrets, SessionDbError, uuidv7 } from '../src/index.js';
import { decodeCursor, encodeCursor } from '../src/core/cursor.js';
import { httpStatusOf } from '../src/core/errors.js';

describe('uuidv7', () => {
  it('is a version-7, variant-1 UUID carrying the time, ordered by time', () => {
    const id = uuidv7(1_700_000_000_000);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(1_700_000_000_000);
    const ids = [1, 2, 3, 1000, 1e12].map((t) => uuidv7(t));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(Array.from({ length: 5000 }, () => uuidv7())).size).toBe(5000);
  });
});

describe('redactSecrets', () => {
  it('hides passwords in URLs and key=value strings', () => {
    expect(redactSecrets('connect postgres://app:s3cr%40t@db:5432/x failed')).toBe('connect postgres://app:***@db:5432/x failed');
    expect(redactSecrets('host=db password=hunter2 user=x')).toBe('host=db password=*** user=x');
    expect(redactSecrets("password='a b'")).toBe('password=***');
    expect(redactSecrets('redis://:pw@localhost:6379')).toBe('redis://:***@localhost:6379');
    expect(redactSecrets('no secrets here')).toBe('no secrets here');
  });
});

describe('parseStoreUrl', () => {
  it.each([
    ['memory:', { kind: 'memory' }],
    ['sqlite::memory:', { kind: 'sqlite', path: ':memory:' }],
    ['sqlite:./data/s.db', { kind: 'sqlite', path: './data/s.db' }],
    ['sqlite:///var/lib/s.db', { kind: 'sqlite', path: '/var/lib/s.db' }],
    ['sqlite:/var/lib/s.db?synchronous=full&busyTimeoutMs=10', { kind: 'sqlite', path: '/var/lib/s.db', synchronous: 'full', busyTimeoutMs: 10 }],
    ['./data/sessions.sqlite', { kind: 'sqlite', path: './data/sessions.sqlite' }],
  ])('%s', (url, expected) => {
    expect(parseStoreUrl(url)).toEqual(expected);
  });

  it('refuses unknown schemes and options, without echoing passwords', () => {
    const err = (() => {
      try {
        parseStoreUrl('mysql://root:topsecret@db/x');
      } catch (e) {
        return e as SessionDbError;
      }
    })();
    expect(err?.code).toBe('invalid');
    expect(err?.message).toMatch(/"mysql:".*Supported: .*memory:.*sqlite:/);
    expect(err?.message).not.toContain('topsecret');
    expect(() => parseStoreUrl('sqlite:x.db?synchronous=off')).toThrow(/synchronous/);
    expect(() => parseStoreUrl('sqlite:x.db?journal=delete')).toThrow(/journal/);
    expect(() => parseStoreUrl('')).toThrow(/empty/);
    expect(() => parseStoreUrl('sqlite:')).toThrow(/names no SQLite file/);
  });
});

describe('cursors', () => {
  it('round-trip and refuse tampering or the wrong listing', () => {
    const c = encodeCursor('sessions-asc', [5, 'id']);
    expect(decodeCursor('sessions-asc', c, ['number', 'string'])).toEqual([5, 'id']);
    expect(() => decodeCursor('sessions-desc', c, ['number', 'string'])).toThrow(/cursor/);
    expect(() => decodeCursor('sessions-asc', c, ['string', 'string'])).toThrow(/cursor/);
    expect(() => decodeCursor('sessions-asc', '!!!', ['number'])).toThrow(/cursor/);
  });
});

describe('error codes', () => {
  it('map to HTTP statuses', () => {
    expect([httpStatusOf('not_found'), httpStatusOf('conflict'), httpStatusOf('invalid'), httpStatusOf('too_large'), httpStatusOf('unavailable')]).toEqual([
      404, 409, 400, 413, 503,
    ]);
  });
});

describe('splitKeyUpdate (updateKeys): null deletes, decided once in core', () => {
  it('splits sets and deletions per scope, drops temp:, and keeps deltas (splitDelta) storing null', async () => {
    const { splitDelta, splitKeyUpdate } = await import('../src/core/state.js');
    const { resolveLimits } = await import('../src/core/limits.js');
    const limits = resolveLimits();
    const u = splitKeyUpdate('delta', { a: null, b: 1, 'user:c': null, 'app:d': null, 'app:e': [1], 'temp:f': null, g: undefined }, limits);
    expect(u.session).toEqual([['b', '1']]);
    expect(u.app).toEqual([['app:e', '[1]']]);
    expect(u.unset).toEqual({ app: ['app:d'], user: ['user:c'], session: ['a'] });
    expect(splitKeyUpdate('delta', {}, limits)).toMatchObject({ app: [], user: [], session: [], unset: { app: [], user: [], session: [] } });
    const d = splitDelta('stateDelta', { a: null }, limits);
    expect(d?.session).toEqual([['a', 'null']]);
    expect(d?.unset).toBeUndefined();
    expect(() => splitKeyUpdate('delta', { '': null }, limits)).toThrow(/delta/);
  });
});
