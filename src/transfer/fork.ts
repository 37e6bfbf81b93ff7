import { ConflictError, SessionNotFoundError, ValidationError } from '../core/errors.js';
import { stateAtSeq } from '../core/history.js';
import { uuidv7 } from '../core/ids.js';
import type { SessionStore } from '../core/store.js';
import type { Session, SessionEvent, SessionKey, StateChange } from '../core/types.js';
import { checkName } from '../core/validate.js';

/** Options of `forkSession`. */
export interface ForkOptions {
  /** The new session's id (default: a new UUIDv7). */
  newSessionId?: string;
  /** The last event the fork keeps (default: the source's last event; 0: none). */
  upToSeq?: number;
  /** Fork into another user of the same app (default: the source's user). Its `user:` state is that user's. */
  userId?: string;
}

/** A store that forks in one call of its own (the HTTP client: one request). */
interface ForkingStore {
  forkSession(key: SessionKey, options: ForkOptions): Promise<Session>;
}

const PAGE = 1000;
const ATTEMPTS = 3;

/**
 * Creates a new session holding events 1..`upToSeq` of `key` (same ids,
 * timestamps and seqs) and the session's own state exactly as it was right
 * after `upToSeq`, with `metadata.forkedFrom = { sessionId, seq }`. Its log of
 * state changes is the source's up to that seq, so forks of forks stay exact.
 * `app:`/`user:` state is shared and is not copied. The fork is `active`, at
 * version 1, with fresh counters and times; the source is not changed.
 *
 * Reads are checked against the source's version: if the source is rewound
 * while it is read, the read starts over (a few times, then `conflict`).
 */
export async function forkSession(store: SessionStore, key: SessionKey, options: ForkOptions = {}): Promise<Session> {
  if (options === null || typeof options !== 'object') throw new ValidationError('fork', 'must be an object { newSessionId?, upToSeq?, userId? }');
  const forking = store as SessionStore & Partial<ForkingStore>;
  if (typeof forking.forkSession === 'function') return forking.forkSession(key, options);
  const newId = options.newSessionId === undefined ? uuidv7() : checkName('newSessionId', options.newSessionId, store.limits);
  const userId = options.userId === undefined ? key.userId : checkName('userId', options.userId, store.limits);
  if (options.upToSeq !== undefined && (!Number.isSafeInteger(options.upToSeq) || options.upToSeq < 0)) {
    throw new ValidationError('upToSeq', `must be a non-negative integer, got ${JSON.stringify(options.upToSeq)}`);
  }
  for (let attempt = 1; ; attempt++) {
    const read = await readUpTo(store, key, options.upToSeq);
    if (read) {
      const { source, events, history, upToSeq } = read;
      const now = Date.now();
      return store.importSession({
        session: {
          tenant: source.tenant,
          appName: source.appName,
          userId,
          id: newId,
          metadata: { ...source.metadata, forkedFrom: { sessionId: source.id, seq: upToSeq } },
          model: source.model,
          status: 'active',
          createdAt: now,
          updatedAt: now,
          lastActivityAt: now,
          expiresAt: source.expiresAt,
          eventCount: upToSeq,
          requestCount: 0,
          requestMsTotal: 0,
          version: 1,
        },
        state: stateAtSeq(history, events, upToSeq),
        events,
        history: history.filter((c) => c.atSeq <= upToSeq),
      });
    }
    if (attempt === ATTEMPTS) throw new ConflictError(-1, -1, 'The source session kept changing its history while it was read; try the fork again.');
  }
}

/** The source, its events 1..upToSeq and its history, read at one version; null when a rewind moved it meanwhile. */
async function readUpTo(store: SessionStore, key: SessionKey, upTo: number | undefined) {
  const source = await store.getSession(key, { withEvents: false });
  if (!source) throw new SessionNotFoundError(key);
  const upToSeq = upTo ?? source.eventCount;
  if (upToSeq > source.eventCount) {
    throw new ValidationError('upToSeq', `is ${upToSeq}, past the session's last event (seq ${source.eventCount})`);
  }
  const events: SessionEvent[] = [];
  for (let cursor: string | null = null; events.length < upToSeq; ) {
    const page = await store.readEvents(key, { limit: Math.min(PAGE, upToSeq - events.length), cursor });
    if (!page) return null;
    events.push(...page.events);
    if (!(cursor = page.nextCursor)) break;
  }
  const history: StateChange[] | null = await store.readStateHistory(key);
  if (!history || events.length !== upToSeq) return null;
  const after = await store.getSession(key, { withEvents: false });
  if (!after) throw new SessionNotFoundError(key);
  // Appends after upToSeq are harmless. A rewind below it would have replaced
  // the event at upToSeq, so unless nothing was written, that event is checked.
  if (after.version !== source.version && upToSeq > 0) {
    const last = await store.readEvents(key, { afterSeq: upToSeq - 1, limit: 1 });
    const was = events[upToSeq - 1]!;
    const now = last?.events[0];
    if (!now || now.id !== was.id || now.timestamp !== was.timestamp) return null;
  }
  return { source, events, history, upToSeq };
}
