import { createHash } from 'node:crypto';
import type { NewEvent } from '../../../src/core/types.js';
import { positionOf, RedisLayout } from '../../../src/stores/redis/layout.js';
import { APP_NAME, storeEvent } from '../payload.js';
import type { PagePosition, SessionRef, System } from './system.js';

const TENANT = 'default';

/** The raw client's commands the floor uses. */
export interface RawRedis {
  sendCommand<T>(args: readonly string[]): Promise<T>;
}

// Minimal scripts over the store's own key layout: the same keys, no checks.
// KEYS: the user slot's base, the tenant slot's base.
const APPEND = `
local B, T = KEYS[1], KEYS[2]
local sid, user, id, ts, pos, body = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local S = B .. ':s:' .. sid
local h = redis.call('HMGET', S, 'n', 'pos')
local seq = tostring(tonumber(h[1]) + 1)
redis.call('HSET', B .. ':ev:' .. sid, seq, body)
redis.call('HSET', B .. ':ei:' .. sid, id, seq)
redis.call('ZADD', B .. ':et:' .. sid, ts, seq)
if #ARGV > 6 then redis.call('HSET', B .. ':st:' .. sid, unpack(ARGV, 7)) end
redis.call('HSET', S, 'n', seq, 'updated', ts, 'act', ts, 'pos', pos)
redis.call('HINCRBY', S, 'v', 1)
local tm, am = sid .. '\\0bench\\0' .. user, sid .. '\\0' .. user
for _, ix in ipairs({ B .. ':ix', B .. ':ix\\0active' }) do
  redis.call('ZREM', ix, h[2] .. sid)
  redis.call('ZADD', ix, 0, pos .. sid)
end
for _, ix in ipairs({ T .. ':ix', T .. ':ix\\0active' }) do
  redis.call('ZREM', ix, h[2] .. tm)
  redis.call('ZADD', ix, 0, pos .. tm)
end
for _, ix in ipairs({ T .. ':ax:bench', T .. ':ax:bench\\0active' }) do
  redis.call('ZREM', ix, h[2] .. am)
  redis.call('ZADD', ix, 0, pos .. am)
end
redis.call('ZADD', T .. ':act\\0active', ts, 'bench\\0' .. user .. '\\0' .. sid)
return seq
`;

const CREATE = `
local B, T = KEYS[1], KEYS[2]
local sid, user, now, pos = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
redis.call('HSET', B .. ':s:' .. sid, 't', 'default', 'a', 'bench', 'u', user, 'id', sid, 'meta', '{}', 'model', '', 'status', 'active',
  'created', now, 'updated', now, 'pos', pos, 'act', now, 'exp', '', 'n', '0', 'rc', '0', 'rms', '0', 'v', '1', 'bytes', '0')
local tm, am = sid .. '\\0bench\\0' .. user, sid .. '\\0' .. user
redis.call('ZADD', B .. ':ix', 0, pos .. sid)
redis.call('ZADD', B .. ':ix\\0active', 0, pos .. sid)
redis.call('ZADD', T .. ':ix', 0, pos .. tm)
redis.call('ZADD', T .. ':ix\\0active', 0, pos .. tm)
redis.call('ZADD', T .. ':ax:bench', 0, pos .. am)
redis.call('ZADD', T .. ':ax:bench\\0active', 0, pos .. am)
redis.call('ZADD', T .. ':act\\0active', now, 'bench\\0' .. user .. '\\0' .. sid)
redis.call('ZADD', T .. ':keys', 0, 'bench\\0' .. user .. '\\0' .. sid)
return 1
`;

// KEYS: user base, app base. ARGV: sid, how many of the newest events (0: all).
const READ = `
local B = KEYS[1]
local S = B .. ':s:' .. ARGV[1]
local h = redis.call('HGETALL', S)
local n = tonumber(redis.call('HGET', S, 'n'))
local want = tonumber(ARGV[2])
local from = 1
if want > 0 then from = math.max(1, n - want + 1) end
local seqs = {}
for s = from, n do seqs[#seqs + 1] = s end
local evs = {}
if #seqs > 0 then evs = redis.call('HMGET', B .. ':ev:' .. ARGV[1], unpack(seqs)) end
return { h, redis.call('HGETALL', B .. ':st:' .. ARGV[1]), redis.call('HGETALL', B .. ':us'), redis.call('HGETALL', KEYS[2] .. ':state'), evs }
`;

// KEYS: user base. ARGV: start ('-' or '(' member), page size.
const LIST = `
local B = KEYS[1]
local out = {}
for _, m in ipairs(redis.call('ZRANGEBYLEX', B .. ':ix', ARGV[1], '+', 'LIMIT', 0, tonumber(ARGV[2]))) do
  local sid = string.sub(m, 17)
  out[#out + 1] = { m, redis.call('HGETALL', B .. ':s:' .. sid), redis.call('HGETALL', B .. ':st:' .. sid) }
end
return out
`;

const sha = (source: string) => createHash('sha1').update(source).digest('hex');

/**
 * The raw node-redis floor, on the store's own key layout (under its own
 * prefix): every call is one EVALSHA of a minimal script that writes (or
 * reads) the same keys as RedisStore, without its checks (existence, version,
 * replay of stored ids, validation). Reads parse each event's JSON.
 */
export class RedisFloor implements System {
  readonly kind = 'floor';
  readonly backend = 'redis';
  readonly label = 'raw node-redis (floor)';
  readonly slow = false;
  readonly paging = 'cursor';
  private readonly layout: RedisLayout;
  private readonly tenant: string;
  private readonly app: string;

  constructor(
    private readonly client: RawRedis,
    prefix: string,
  ) {
    this.layout = new RedisLayout(prefix);
    this.tenant = this.layout.tenant(TENANT);
    this.app = this.layout.app(TENANT, APP_NAME);
  }

  /** Loads the scripts, so that every call is one EVALSHA. */
  async init(): Promise<void> {
    for (const source of [APPEND, CREATE, READ, LIST]) await this.client.sendCommand(['SCRIPT', 'LOAD', source]);
  }

  private user(userId: string): string {
    return this.layout.user(TENANT, APP_NAME, userId);
  }

  async createSession(ref: SessionRef): Promise<void> {
    const now = Date.now();
    await this.client.sendCommand(['EVALSHA', sha(CREATE), '2', this.user(ref.userId), this.tenant, ref.sessionId, ref.userId, String(now), positionOf(now)]);
  }

  prepareEvent(turn: number): NewEvent {
    return storeEvent(turn);
  }

  async append(ref: SessionRef, event: unknown): Promise<void> {
    const e = event as NewEvent;
    const ts = e.timestamp ?? Date.now();
    const body = JSON.stringify({ id: e.id, ts, author: e.author, role: e.role, inv: e.invocationId, content: e.content, delta: e.stateDelta, meta: e.metadata });
    const args = ['EVALSHA', sha(APPEND), '2', this.user(ref.userId), this.tenant, ref.sessionId, ref.userId, e.id!, String(ts), positionOf(ts), body];
    for (const [k, v] of Object.entries(e.stateDelta ?? {})) args.push(k, JSON.stringify(v));
    await this.client.sendCommand(args);
  }

  private async read(ref: SessionRef, n: number): Promise<number> {
    const [, , , , events] = await this.client.sendCommand<[unknown, unknown, unknown, unknown, string[]]>(['EVALSHA', sha(READ), '2', this.user(ref.userId), this.app, ref.sessionId, String(n)]);
    for (const body of events) JSON.parse(body);
    return events.length;
  }

  readLast(ref: SessionRef, n: number): Promise<number> {
    return this.read(ref, n);
  }

  readAll(ref: SessionRef): Promise<number> {
    return this.read(ref, 0);
  }

  async listPage(userId: string, pageSize: number, at: PagePosition): Promise<number> {
    const start = at.kind === 'cursor' ? `(${at.cursor}` : '-';
    const rows = await this.client.sendCommand<[string, string[], string[]][]>(['EVALSHA', sha(LIST), '1', this.user(userId), start, String(pageSize)]);
    for (const [, fields] of rows) JSON.parse(fields[fields.indexOf('meta') + 1]!);
    return rows.length;
  }

  async seekPage(userId: string, pageSize: number, page: number): Promise<PagePosition> {
    if (page === 1) return { kind: 'start' };
    const [member] = await this.client.sendCommand<string[]>(['ZRANGE', `${this.user(userId)}:ix`, String((page - 1) * pageSize - 1), String((page - 1) * pageSize - 1)]);
    if (member === undefined) throw new Error(`the listing ends before page ${page}`);
    return { kind: 'cursor', cursor: member };
  }

  async close(): Promise<void> {}
}
