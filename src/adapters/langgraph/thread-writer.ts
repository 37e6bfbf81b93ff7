import { isSessionDbError, SessionDbError } from '../../core/errors.js';
import type { SessionStore } from '../../core/store.js';
import type { JsonObject, NewEvent, NewSession, SessionKey } from '../../core/types.js';

/** What a write is planned from: the session's version, the seq its next event gets, its state. */
export interface ThreadSnapshot {
  version: number;
  nextSeq: number;
  state: JsonObject;
}

/** One event and the state change that goes with it, planned from a snapshot. */
export interface PlannedAppend {
  event: NewEvent;
  stateDelta?: JsonObject;
}

const MAX_ATTEMPTS = 12;
const MAX_CACHED_THREADS = 1000;

/**
 * Appends an event whose state delta names the event's own seq (a head entry
 * points at its checkpoint). The seq is known before the write only because
 * the append carries `expectVersion`: if anyone wrote in between, the store
 * refuses it and the append is planned again from a fresh snapshot.
 *
 * Writes to one thread from this process run one at a time, so they never
 * conflict with each other, and each plans from the snapshot the previous one
 * left: one round trip per write. Other processes' writes are detected by the
 * version check (a conflict) and cost a re-read.
 */
export class ThreadWriter {
  private readonly queues = new Map<string, Promise<void>>();
  private readonly snapshots = new Map<string, ThreadSnapshot>();

  constructor(private readonly newSession: (key: SessionKey) => NewSession) {}

  async append(store: SessionStore, key: SessionKey, plan: (snapshot: ThreadSnapshot) => PlannedAppend): Promise<void> {
    const id = keyId(key);
    await this.oneAtATime(key, async () => {
      for (let attempt = 1; ; attempt++) {
        const snapshot = this.snapshots.get(id) ?? (await this.load(store, key));
        const { event, stateDelta } = plan(snapshot);
        try {
          const result = await store.appendEvents(key, [stateDelta ? { ...event, stateDelta } : event], { expectVersion: snapshot.version });
          const stored = result.events[0];
          if (stored?.seq === snapshot.nextSeq && result.version === snapshot.version + 1) {
            this.remember(id, { version: result.version, nextSeq: snapshot.nextSeq + 1, state: stateDelta ? { ...snapshot.state, ...stateDelta } : snapshot.state });
          } else {
            // A replay of an event stored before: nothing changed, but this snapshot may be stale.
            this.snapshots.delete(id);
          }
          return;
        } catch (err) {
          this.snapshots.delete(id);
          const retry = isSessionDbError(err) && (err.code === 'conflict' || err.code === 'not_found');
          if (!retry) throw err;
          if (attempt >= MAX_ATTEMPTS) {
            throw new SessionDbError(
              'conflict',
              `LangGraph thread "${key.sessionId}": the write was refused ${MAX_ATTEMPTS} times because other writers kept changing the thread; nothing was stored. Retry, and avoid running one thread from several places at once.`,
              { threadId: key.sessionId },
              { cause: err },
            );
          }
          await sleep(Math.random() * Math.min(200, 5 * 2 ** attempt));
        }
      }
    });
  }

  /** Drops what is known of a thread (after deleting it). */
  forget(key: SessionKey): void {
    this.snapshots.delete(keyId(key));
  }

  /** Runs `task` after every earlier task of the same thread has settled. */
  async oneAtATime(key: SessionKey, task: () => Promise<void>): Promise<void> {
    const id = keyId(key);
    const run = (this.queues.get(id) ?? Promise.resolve()).then(task);
    const settled = run.catch(() => undefined);
    this.queues.set(id, settled);
    try {
      await run;
    } finally {
      if (this.queues.get(id) === settled) this.queues.delete(id);
    }
  }

  private async load(store: SessionStore, key: SessionKey): Promise<ThreadSnapshot> {
    let session = await store.getSession(key, { withEvents: false });
    if (!session) {
      try {
        session = await store.createSession(this.newSession(key));
      } catch (err) {
        if (!isSessionDbError(err) || err.code !== 'exists') throw err;
        session = await store.getSession(key, { withEvents: false });
        if (!session) throw err;
      }
    }
    return { version: session.version, nextSeq: session.eventCount + 1, state: session.state };
  }

  private remember(id: string, snapshot: ThreadSnapshot): void {
    this.snapshots.delete(id);
    this.snapshots.set(id, snapshot);
    if (this.snapshots.size > MAX_CACHED_THREADS) this.snapshots.delete(this.snapshots.keys().next().value!);
  }
}

function keyId(key: SessionKey): string {
  return [key.tenant ?? '', key.appName, key.userId, key.sessionId].join('\u0000');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
