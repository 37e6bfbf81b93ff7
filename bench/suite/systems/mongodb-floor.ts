import type { ClientSession, Db, MongoClient } from 'mongodb';
import type { NewEvent } from '../../../src/core/types.js';
import { APP_NAME, storeEvent } from '../payload.js';
import type { PagePosition, SessionRef, System } from './system.js';

const key = (ref: SessionRef) => ({ tenant: 'default', appName: APP_NAME, userId: ref.userId, id: ref.sessionId });

/**
 * The raw `mongodb` floor, on MongoStore's own collections and indexes, with
 * the same write concern: the fewest round trips an append can take. An
 * append reserves the next seq and applies the delta in one `findOneAndUpdate`
 * of the session document, then inserts the event — inside one transaction on
 * a replica set (as the store), in that order on a standalone server (where,
 * unlike the store, a crash between the two leaves a gap). Reads: the session
 * document, then its events by seq range; a listing page: one keyset query.
 */
export class MongoFloor implements System {
  readonly kind = 'floor';
  readonly backend = 'mongodb';
  readonly label = 'raw mongodb driver (floor)';
  readonly slow = false;
  readonly paging = 'keyset';

  constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    private readonly transactions: boolean,
  ) {}

  async createSession(ref: SessionRef): Promise<void> {
    const now = Date.now();
    await this.db.collection('sessions').insertOne({
      ...key(ref), sid: crypto.randomUUID(), metadata: '{}', model: null, status: 'active', createdAt: now, updatedAt: now, lastActivityAt: now,
      expiresAt: null, eventCount: 0, requestCount: 0, requestMsTotal: 0, version: 1, fence: 0, bytes: 0, state: {},
    });
  }

  prepareEvent(turn: number): NewEvent {
    return storeEvent(turn);
  }

  async append(ref: SessionRef, event: unknown): Promise<void> {
    const e = event as NewEvent;
    const write = async (session: ClientSession | undefined) => {
      const timestamp = e.timestamp ?? Date.now();
      const state = Object.fromEntries(Object.entries(e.stateDelta ?? {}).map(([k, v]) => [`state.${k}`, JSON.stringify(v)]));
      const head = await this.db.collection('sessions').findOneAndUpdate(
        key(ref),
        { $inc: { eventCount: 1, version: 1 }, $set: { updatedAt: timestamp, lastActivityAt: timestamp, ...state } },
        { session, returnDocument: 'after', projection: { sid: 1, eventCount: 1 } },
      );
      if (!head) throw new Error(`no session ${ref.sessionId}`);
      await this.db.collection('events').insertOne(
        {
          sid: head['sid'], seq: head['eventCount'], id: e.id ?? crypto.randomUUID(), timestamp, author: e.author, role: e.role ?? null,
          invocationId: e.invocationId ?? null, content: JSON.stringify(e.content), stateDelta: JSON.stringify(e.stateDelta ?? {}),
          metadata: e.metadata ? JSON.stringify(e.metadata) : null, w: '', fence: 0,
        },
        { session },
      );
    };
    if (!this.transactions) return write(undefined);
    const session = this.client.startSession();
    try {
      await session.withTransaction(() => write(session));
    } finally {
      await session.endSession();
    }
  }

  private async eventsOf(ref: SessionRef, last: number | null): Promise<number> {
    const s = await this.db.collection('sessions').findOne(key(ref), { projection: { sid: 1, eventCount: 1 } });
    if (!s) return 0;
    const count = s['eventCount'] as number;
    const from = last === null ? 1 : Math.max(1, count - last + 1);
    const docs = await this.db.collection('events').find({ sid: s['sid'], seq: { $gte: from, $lte: count } }, { sort: { seq: 1 } }).toArray();
    for (const d of docs) JSON.parse(d['content'] as string);
    return docs.length;
  }

  readLast(ref: SessionRef, n: number): Promise<number> {
    return this.eventsOf(ref, n);
  }

  readAll(ref: SessionRef): Promise<number> {
    return this.eventsOf(ref, null);
  }

  async listPage(userId: string, pageSize: number, at: PagePosition): Promise<number> {
    const filter: Record<string, unknown> = { tenant: 'default', appName: APP_NAME, userId };
    if (at.kind === 'keyset') Object.assign(filter, { updatedAt: { $gte: at.updatedAt }, $or: [{ updatedAt: { $gt: at.updatedAt } }, { updatedAt: at.updatedAt, id: { $gt: at.id } }] });
    const docs = await this.db.collection('sessions').find(filter, { sort: { updatedAt: 1, id: 1 }, limit: pageSize }).toArray();
    return docs.length;
  }

  async seekPage(userId: string, pageSize: number, page: number): Promise<PagePosition> {
    if (page === 1) return { kind: 'start' };
    const [row] = await this.db
      .collection('sessions')
      .find({ tenant: 'default', appName: APP_NAME, userId }, { sort: { updatedAt: 1, id: 1 }, skip: (page - 1) * pageSize - 1, limit: 1, projection: { updatedAt: 1, id: 1 } })
      .toArray();
    return { kind: 'keyset', updatedAt: row!['updatedAt'] as number, id: row!['id'] as string };
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
