/**
 * The append protocol: safe on a standalone server, and the same steps inside
 * a transaction on a replica set.
 *
 * 1. Read the session's head (sid, version, eventCount, fence); the planner
 *    decides (replay, conflict, or rows). Caller-chosen ids are taken to be new
 *    at first; if one is stored, the insert collides (or a replay meets a version
 *    check), and the next attempt looks the ids up before planning.
 * 2. Insert the new events at seqs eventCount+1… The unique (sid, seq) index
 *    lets one writer hold a seq; until step 3 they are invisible, because
 *    readers only read seqs <= the session's eventCount.
 * 3. Commit: one conditional update of the session document on
 *    (sid, version, fence) sets the counters, the version and the session's own
 *    state keys together. This single-document write is the commit point.
 * 4. Write the `app:` and `user:` keys (after the commit point: on a standalone
 *    server a crash between 3 and 4 loses them; in a transaction, nothing is lost).
 *
 * A writer that finds its seqs held by events above eventCount waits for their
 * writer; if the same writer still holds them after `pendingTimeoutMs`, it is
 * taken for dead: the fence is raised (so that writer's commit can never
 * succeed) and the events it left are deleted. Events written under an older
 * fence are dead at once.
 */
import { randomBytes } from 'node:crypto';
import type { ClientSession } from 'mongodb';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { ConflictError, SessionNotFoundError, UnavailableError } from '../../core/errors.js';
import { planAppend, type AppendPlan, type WritePlan } from '../../core/plan.js';
import { eventFromRow, type EventRow } from '../../core/rows.js';
import type { AppendResult } from '../../core/types.js';
import type { PreparedEvent, ResolvedKey } from '../../core/validate.js';
import { approximateBytes, eventDocOf, eventRowOfDoc, stateSets, type SessionHeadDoc } from './documents.js';
import { isDuplicateKey } from './errors.js';
import { sessionAt, sessionKeyFilter } from './queries.js';
import type { MongoCollections } from './schema.js';
import { backoff } from './transaction.js';
import { writeSharedDelta } from './shared-state.js';
import { finishRewind } from './history.js';

/** Runs a write: in a transaction where the deployment has them, else directly (session undefined). */
export type WriteRunner = <T>(work: (session: ClientSession | undefined) => Promise<T>) => Promise<T>;

/** The head fields an append reads. */
export const HEAD_PROJECTION = { sid: 1, version: 1, eventCount: 1, fence: 1, rewinding: 1 } as const;

/** The seqs or ids of an append are held by events above eventCount. */
class Blocked extends Error {
  constructor(readonly k: ResolvedKey, readonly head: SessionHeadDoc, readonly rows: readonly EventRow[], readonly token: string) {
    super('append blocked');
  }
}

/** A version conflict found without looking the call's ids up: it may be a replay, which needs no version check. */
class LookUpFirst extends Error {
  constructor() {
    super('look the ids up first');
  }
}

/** Another write committed (or the fence moved) between the read and the commit. */
class Superseded extends Error {
  constructor(readonly head: SessionHeadDoc, readonly token: string) {
    super('append superseded');
  }
}

export interface AppendOptions {
  pendingTimeoutMs: number;
  retryTimeoutMs: number;
}

export class MongoAppender {
  /** When this process first saw a writer (sid, fence, attempt tokens) holding seqs above eventCount. */
  private readonly pendingSince = new Map<string, number>();

  constructor(
    private readonly c: MongoCollections,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: AppendOptions,
  ) {}

  async append(k: ResolvedKey, events: readonly PreparedEvent[], expectVersion: number | undefined, run: WriteRunner): Promise<AppendResult> {
    const deadline = Date.now() + this.options.retryTimeoutMs;
    // Optimistic first: caller-chosen ids are almost always new, so the first attempt does not look them up;
    // one that is stored makes the insert collide (or the version check fail on a replay), and the retry looks.
    let lookUp = false;
    for (let attempt = 0; ; attempt++) {
      const token = randomBytes(9).toString('base64url');
      try {
        const look = lookUp;
        return await run((session) => this.attempt(session, k, events, expectVersion, token, look));
      } catch (err) {
        lookUp = true;
        if (err instanceof LookUpFirst) {
          continue;
        } else if (err instanceof Blocked) {
          await this.discardOwn(err.head.sid, err.token);
          await this.unblock(err, attempt);
        } else if (err instanceof Superseded) {
          await this.discardOwn(err.head.sid, err.token);
        } else {
          throw err;
        }
      }
      if (Date.now() > deadline) {
        throw new UnavailableError(`Could not append to session "${k.sessionId}" within ${this.options.retryTimeoutMs} ms: other writers kept it busy. Retry later.`);
      }
    }
  }

  private async attempt(
    session: ClientSession | undefined,
    k: ResolvedKey,
    events: readonly PreparedEvent[],
    expectVersion: number | undefined,
    token: string,
    lookUp: boolean,
  ): Promise<AppendResult> {
    let head = await this.c.sessions.findOne(sessionKeyFilter(k), { session, projection: HEAD_PROJECTION });
    // A rewind committed and not finished holds the seqs after it: finish it (history.ts) before planning.
    while (head?.rewinding) {
      await finishRewind(this.c, session, head.sid, head.rewinding);
      head = await this.c.sessions.findOne(sessionKeyFilter(k), { session, projection: HEAD_PROJECTION });
    }
    if (!head) throw new SessionNotFoundError(k);
    const ids = events.flatMap((e) => (e.id === undefined ? [] : [e.id]));
    const stored = new Map<string, EventRow>();
    if (ids.length && lookUp) {
      const docs = await this.c.events.find({ sid: head.sid, id: { $in: ids }, seq: { $lte: head.eventCount } }, { session }).toArray();
      for (const d of docs) stored.set(d.id, eventRowOfDoc(d));
    }
    let plan: AppendPlan;
    try {
      plan = planAppend({
        head: { version: head.version, event_count: head.eventCount },
        stored: events.map((e) => (e.id === undefined ? undefined : stored.get(e.id))),
        events,
        expectVersion,
        now: this.clock.now(),
      });
    } catch (err) {
      // Not looked up: the call may be a replay, which succeeds whatever the version. Look, then decide.
      if (err instanceof ConflictError && ids.length && !lookUp) throw new LookUpFirst();
      throw err;
    }
    if (plan.kind === 'replay') return { events: plan.events.map(eventFromRow), version: plan.version };
    try {
      await this.c.events.insertMany(
        plan.rows.map((row) => eventDocOf(k.tenant, head.sid, row, token, head.fence)),
        { session, ordered: true },
      );
    } catch (err) {
      if (isDuplicateKey(err)) throw new Blocked(k, head, plan.rows, token);
      throw err;
    }
    await this.commit(session, k, head, plan, token);
    await writeSharedDelta(this.c, session, k, plan.delta);
    return { events: plan.events.map(eventFromRow), version: plan.head.version };
  }

  private async commit(session: ClientSession | undefined, k: ResolvedKey, head: SessionHeadDoc, plan: WritePlan, token: string): Promise<void> {
    const h = plan.head;
    const result = await this.c.sessions.updateOne(
      { ...sessionAt(k, head.sid, head.version), fence: head.fence },
      {
        $set: { version: h.version, eventCount: h.event_count, updatedAt: h.updated_at, lastActivityAt: h.last_activity_at, ...stateSets('state', plan.delta?.session) },
        $inc: { bytes: approximateBytes(plan.rows, plan.delta?.session) },
      },
      { session },
    );
    if (result.matchedCount === 0) throw new Superseded(head, token);
  }

  /** Deletes what an attempt of ours wrote and did not commit (a no-op when a transaction already undid it). */
  private async discardOwn(sid: string, token: string): Promise<void> {
    await this.c.events.deleteMany({ sid, w: token });
  }

  /** Clears or waits out the events above eventCount that hold the seqs or ids an attempt wanted. */
  private async unblock(blocked: Blocked, attempt: number): Promise<void> {
    const { k, head, rows } = blocked;
    const now = await this.c.sessions.findOne(sessionKeyFilter(k), { projection: HEAD_PROJECTION });
    // Deleted or replaced, or a rewind to finish (its events must not be taken for a dead writer's): the next attempt sees it.
    if (!now || now.sid !== head.sid || now.rewinding) return;
    const holders = await this.c.events
      .find({
        sid: head.sid,
        seq: { $gt: now.eventCount },
        $or: [{ seq: { $in: rows.map((r) => r.seq) } }, { id: { $in: rows.map((r) => r.id) } }],
      })
      .toArray();
    if (holders.some((d) => d.fence < now.fence)) {
      await this.c.events.deleteMany({ sid: head.sid, seq: { $gt: now.eventCount }, fence: { $lt: now.fence } });
    }
    const live = holders.filter((d) => d.fence >= now.fence);
    if (live.length === 0) return; // committed meanwhile, or dead and gone: try again at once
    const holder = `${head.sid}\u0000${now.fence}\u0000${[...new Set(live.map((d) => d.w))].sort().join(',')}`;
    const first = this.pendingSince.get(holder);
    const clock = Date.now();
    if (first === undefined) {
      if (this.pendingSince.size > 1000) this.pendingSince.clear();
      this.pendingSince.set(holder, clock);
    } else if (clock - first >= this.options.pendingTimeoutMs) {
      this.pendingSince.delete(holder);
      const fenced = await this.c.sessions.updateOne(
        { ...sessionAt(k, head.sid, now.version), fence: now.fence },
        { $inc: { fence: 1 } },
      );
      if (fenced.matchedCount === 1) {
        const discarded = await this.c.events.deleteMany({ sid: head.sid, seq: { $gt: now.eventCount }, fence: { $lte: now.fence } });
        this.logger.warn('sessiondb: discarded events an unfinished append left behind', { sid: head.sid, events: discarded.deletedCount });
      }
      return;
    }
    await backoff(attempt);
  }
}
