import { ConflictError, SessionNotFoundError, ValidationError } from '../core/errors.js';
import { checkForkOptions, stateAtSeq } from '../core/history.js';
import { uuidv7 } from '../core/ids.js';
import type { SessionStore } from '../core/store.js';
import type { ForkOptions, Session, SessionEvent, SessionKey, StateChange } from '../core/types.js';

export type { ForkOptions } from '../core/types.js';

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
 * version 1, with fresh counters and times, and the source's `expiresAt` if it
 * is still to come; the source is not changed.
 *
 * If the source's history changes below `upToSeq` while it is read (a rewind),
 * the read starts over (a few times, then `conflict`).
 */
export async function forkSession(store: SessionStore, key: SessionKey, options: ForkOptions = {}): Promise<Session> {
  const forking = store as SessionStore & Partial<ForkingStore>;
  if (typeof forking.forkSession === 'function') return forking.forkSession(key, options);
  const checked = checkForkOptions(options, store.limits);
  const newId = checked.newSessionId ?? uuidv7();
  let seen: [number, number] = [0, 0];
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const read = await readUpTo(store, key, checked.upToSeq);
    if (!('moved' in read)) {
      const { source, events, history, upToSeq } = read;
      const now = Date.now();
      return store.importSession({
        session: {
          tenant: source.tenant,
          appName: source.appName,
          userId: checked.userId ?? key.userId,
          id: newId,
          metadata: { ...source.metadata, forkedFrom: { sessionId: source.id, seq: upToSeq } },
          model: source.model,
          status: 'active',
          createdAt: now,
          updatedAt: now,
          lastActivityAt: now,
          expiresAt: source.expiresAt !== null && source.expiresAt > now ? source.expiresAt : null,
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
    seen = read.moved;
  }
  throw new ConflictError(seen[0], seen[1], `The source session's history changed below the fork point while it was read (version ${seen[0]}, then ${seen[1]}), ${ATTEMPTS} times; nothing was created. Try the fork again.`);
}

type Read = { source: Session; events: SessionEvent[]; history: StateChange[]; upToSeq: number } | { moved: [number, number] };

/** The source, its events 1..upToSeq and its history as of one moment, or the versions between which it moved. */
async function readUpTo(store: SessionStore, key: SessionKey, upTo: number | undefined): Promise<Read> {
  const source = await store.getSession(key, { withEvents: false });
  if (!source) throw new SessionNotFoundError(key);
  const upToSeq = upTo ?? source.eventCount;
  if (upToSeq > source.eventCount) {
    throw new ValidationError('upToSeq', `is ${upToSeq}, past the session's last event (seq ${source.eventCount})`);
  }
  const events: SessionEvent[] = [];
  for (let cursor: string | null = null; events.length < upToSeq; ) {
    const page = await store.readEvents(key, { limit: Math.min(PAGE, upToSeq - events.length), cursor });
    if (!page) throw new SessionNotFoundError(key);
    events.push(...page.events);
    if (!(cursor = page.nextCursor)) break;
  }
  const history = await store.readStateHistory(key);
  if (!history) throw new SessionNotFoundError(key);
  const after = await store.getSession(key, { withEvents: false });
  if (!after) throw new SessionNotFoundError(key);
  if (after.version === source.version) return { source, events, history, upToSeq };
  // Writes after upToSeq (appends, later state changes) do not matter; a rewind
  // below it replaces the event at upToSeq or the log up to it: compare both.
  const moved = { moved: [source.version, after.version] as [number, number] };
  if (events.length !== upToSeq || after.eventCount < upToSeq) return moved;
  if (upToSeq > 0) {
    const now = (await store.readEvents(key, { afterSeq: upToSeq - 1, limit: 1 }))?.events[0];
    if (JSON.stringify(now) !== JSON.stringify(events[upToSeq - 1])) return moved;
  }
  const again = await store.readStateHistory(key);
  const upTo_ = (h: StateChange[]) => JSON.stringify(h.filter((c) => c.atSeq <= upToSeq));
  if (!again || upTo_(again) !== upTo_(history)) return moved;
  return { source, events, history, upToSeq };
}
