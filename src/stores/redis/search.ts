import type { PreparedSearch } from '../../core/search/prepare.js';
import { ScanSearch, type SearchSession } from '../../core/search/scan.js';
import { sessionTitle } from '../../core/search/text.js';
import type { JsonObject, SearchPage, SessionEvent } from '../../core/types.js';
import { eventFromBody } from './codec.js';
import type { RedisConnection } from './connection.js';
import { keys, type RedisLayout } from './layout.js';

/** Session keys read from the tenant's registry per step. */
const KEYS_PAGE = 500;
/** Events per HMGET. */
const EVENT_BATCH = 500;
/** HMGETs of events in flight at once (read ahead, consumed in order). */
const IN_FLIGHT = 8;

/** One read of a session's events: a seq range, or none (a session without events still has a title). */
interface Batch {
  session: SearchSession;
  user: string;
  from: number;
  to: number;
}

/**
 * Full-text search without an index (Redis has none without a module): walks
 * the tenant's registry of session keys (`:keys`, in key order; narrowed to a
 * key range by the app and user filters), reads each session's fields and
 * skips those the session filters refuse, then reads the events of the rest
 * in pipelined batches and feeds them to the core's `ScanSearch` (BM25 over
 * what the filters admit). O(events of the sessions admitted) per search.
 * Memory: the matching events and a few batches.
 */
export async function scanSearch(conn: RedisConnection, layout: RedisLayout, p: PreparedSearch): Promise<SearchPage> {
  const scan = new ScanSearch(p);
  for await (const names of sessionPages(conn, layout, p)) {
    const users = names.map(([app, user]) => layout.user(p.tenant, app!, user!));
    const fields = await Promise.all(names.map(([, , id], i) => conn.send<(string | null)[]>(users[i]!, ['HMGET', keys.session(users[i]!, id!), 'status', 'updated', 'meta', 'n'])));
    const batches: Batch[] = [];
    names.forEach(([appName, userId, id], i) => {
      const [status, updated, meta, n] = fields[i]!;
      if (status === null || status === undefined) return; // deleted meanwhile
      const session: SearchSession = {
        tenant: p.tenant,
        appName: appName!,
        userId: userId!,
        id: id!,
        status: status as SearchSession['status'],
        updatedAt: Number(updated),
        title: sessionTitle(JSON.parse(meta!) as JsonObject),
      };
      if (!scan.admits(session)) return;
      const count = Number(n);
      batches.push({ session, user: users[i]!, from: 1, to: Math.min(count, EVENT_BATCH) });
      for (let from = EVENT_BATCH + 1; from <= count; from += EVENT_BATCH) batches.push({ session, user: users[i]!, from, to: Math.min(count, from + EVENT_BATCH - 1) });
    });
    for await (const [batch, events] of readAhead(batches, (b) => readBatch(conn, b), IN_FLIGHT)) {
      // A session's title is offered with its first batch only.
      scan.add(batch.from === 1 ? batch.session : { ...batch.session, title: '' }, events);
    }
  }
  return scan.page();
}

/** Pages of [app, user, id] of the tenant's sessions that may pass the key filters, in key order. */
async function* sessionPages(conn: RedisConnection, layout: RedisLayout, p: PreparedSearch): AsyncGenerator<string[][]> {
  if (p.appName !== undefined && p.userId !== undefined && p.sessionId !== undefined) {
    yield [[p.appName, p.userId, p.sessionId]];
    return;
  }
  const tenant = layout.tenant(p.tenant);
  const registry = keys.sessionKeys(tenant);
  // Members are app\0user\0id; names hold no control characters, so \u0001 ends a prefix's range.
  const prefix = p.appName === undefined ? '' : p.userId === undefined ? `${p.appName}\u0000` : `${p.appName}\u0000${p.userId}\u0000`;
  let start = prefix ? `[${prefix}` : '-';
  const end = prefix ? `(${prefix.slice(0, -1)}\u0001` : '+';
  for (;;) {
    const members = await conn.send<string[]>(tenant, ['ZRANGEBYLEX', registry, start, end, 'LIMIT', '0', String(KEYS_PAGE)]);
    const names = members
      .map((m) => m.split('\u0000'))
      .filter(([, userId, id]) => (p.userId === undefined || userId === p.userId) && (p.sessionId === undefined || id === p.sessionId));
    if (names.length > 0) yield names;
    if (members.length < KEYS_PAGE) return;
    start = `(${members[members.length - 1]}`;
  }
}

async function readBatch(conn: RedisConnection, b: Batch): Promise<SessionEvent[]> {
  if (b.to < b.from) return [];
  const seqs: string[] = [];
  for (let s = b.from; s <= b.to; s++) seqs.push(String(s));
  const bodies = await conn.send<(string | null)[]>(b.user, ['HMGET', keys.events(b.user, b.session.id), ...seqs]);
  const events: SessionEvent[] = [];
  // A body missing was rewound or deleted since the session was read.
  bodies.forEach((body, i) => body !== null && events.push(eventFromBody(b.from + i, body)));
  return events;
}

/** Runs `read` over `items` with up to `depth` in flight, yielding results in the items' order. */
async function* readAhead<T, R>(items: readonly T[], read: (item: T) => Promise<R>, depth: number): AsyncGenerator<[T, R]> {
  const queue: Promise<R>[] = [];
  let next = 0;
  const fill = () => {
    while (queue.length < depth && next < items.length) {
      const pending = read(items[next++]!);
      pending.catch(() => undefined); // awaited in turn below; not an unhandled rejection meanwhile
      queue.push(pending);
    }
  };
  fill();
  for (let i = 0; queue.length > 0; i++) {
    const result = await queue.shift()!;
    fill();
    yield [items[i]!, result];
  }
}
