import type { AgentInputItem, SessionHistoryTransactionArgs, SessionHistoryTransactionAwareSession } from '@openai/agents';
import { ConflictError, SessionDbError, SessionExistsError, SessionNotFoundError, TooLargeError, ValidationError } from '../../core/errors.js';
import { uuidv7 } from '../../core/ids.js';
import type { SessionStore } from '../../core/store.js';
import type { NewEvent, ReadOptions, Session, SessionKey } from '../../core/types.js';
import { lazyStore, type LazyStore, type StoreSource } from '../shared/store-source.js';
import {
  agentsMetadata,
  appliedDigest,
  canonicalItem,
  nextStep,
  prepareTransaction,
  withoutPending,
  withPending,
  type PendingTransaction,
} from './history-transaction.js';
import { eventToItem, itemToEvent } from './item-mapping.js';

/** Options of {@link SessiondbSession}: where to keep the history, and which session it is. */
export type SessiondbSessionOptions = StoreSource & {
  appName: string;
  userId: string;
  /** The session's id. Default: a new UUIDv7, the same for the life of this object. */
  sessionId?: string;
  /** The tenant the session lives in. Default `"default"`. */
  tenant?: string;
};

/** Conditional writes tried before a lost race is reported (each after re-reading the session). */
const MAX_ATTEMPTS = 100;

/**
 * A persistent `Session` for the OpenAI Agents SDK (`@openai/agents`) on any
 * sessiondb store: pass it to `run(agent, input, { session })`.
 *
 * - Each item is one event (see `itemToEvent`): every field reads back as it
 *   was given, and the console, exports and search show the conversation.
 * - The session is created on the first write; `getItems(limit)` reads only
 *   the last `limit` events.
 * - `popItem` and `clearSession` rewind the session, so what they remove stays
 *   readable as superseded events (`store.readSupersededEvents`).
 * - Every write is conditional on the version it was decided at and retried
 *   after re-reading when another writer got there first, with the event ids
 *   fixed once per call: processes sharing a session never lose or duplicate
 *   an item, and a retry after a lost acknowledgement stores nothing twice.
 * - `applyHistoryTransaction` (the SDK's optional history-transaction
 *   capability) is atomic and idempotent by `operationId`.
 *
 * Importing this module does not load `@openai/agents`: it uses its types only.
 *
 * @example
 * const session = new SessiondbSession({ url: 'sqlite:./data/sessions.db', appName: 'support', userId: 'u1' });
 * const result = await run(agent, 'Hello', { session });
 */
export class SessiondbSession implements SessionHistoryTransactionAwareSession {
  private readonly source: LazyStore;
  private readonly key: SessionKey;
  /** The version last read or written with no transaction pending: what the next append expects. */
  private knownVersion: number | null = null;

  constructor(options: SessiondbSessionOptions) {
    if (options === null || typeof options !== 'object') {
      throw new ValidationError('options', 'must be { store | url, appName, userId, sessionId? }');
    }
    for (const field of ['appName', 'userId'] as const) {
      if (typeof options[field] !== 'string' || options[field] === '') throw new ValidationError(`options.${field}`, 'must be a non-empty string');
    }
    if (options.sessionId !== undefined && (typeof options.sessionId !== 'string' || options.sessionId === '')) {
      throw new ValidationError('options.sessionId', 'must be a non-empty string, or left out for a new id');
    }
    if (options.tenant !== undefined && (typeof options.tenant !== 'string' || options.tenant === '')) {
      throw new ValidationError('options.tenant', 'must be a non-empty string, or left out for "default"');
    }
    this.source = lazyStore(options);
    this.key = { tenant: options.tenant, appName: options.appName, userId: options.userId, sessionId: options.sessionId ?? uuidv7() };
  }

  /** The session's id (given, or generated once for this object). No I/O. */
  async getSessionId(): Promise<string> {
    return this.key.sessionId;
  }

  /** The store (opened and migrated on first use when given a URL). */
  store(): Promise<SessionStore> {
    return this.source.get();
  }

  /** Closes the store if this session opened it from a URL; a store passed in stays open. */
  close(): Promise<void> {
    return this.source.close();
  }

  /**
   * The history, oldest first; with `limit`, only the latest `limit` items
   * (and only those events are read). A missing session has no items.
   */
  async getItems(limit?: number): Promise<AgentInputItem[]> {
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
      throw new ValidationError('limit', `must be a non-negative integer or left out for every item, got ${JSON.stringify(limit)}`);
    }
    if (limit === 0) return [];
    const session = await this.read(await this.store(), limit === undefined ? {} : { lastEvents: limit });
    return (session?.events ?? []).map(eventToItem);
  }

  /**
   * Appends items, creating the session if needed. Atomic (all or none) up to
   * the store's `limits.maxEventsPerAppend` items (1000 by default); a longer
   * list is written in appends of that size, each atomic.
   */
  async addItems(items: AgentInputItem[]): Promise<void> {
    if (!Array.isArray(items)) throw new ValidationError('items', 'must be an array of AgentInputItem');
    if (items.length === 0) return;
    const events = items.map((item, i) => itemToEvent(item, uuidv7(), `items[${i}]`));
    const store = await this.store();
    const size = store.limits.maxEventsPerAppend;
    for (let from = 0; from < events.length; from += size) await this.append(store, events.slice(from, from + size));
  }

  /** Removes the newest item and returns it (undefined when there is none). It stays readable as a superseded event. */
  async popItem(): Promise<AgentInputItem | undefined> {
    const store = await this.store();
    return this.retrying(async () => {
      const session = await this.read(store, { lastEvents: 1 });
      const last = session?.events?.at(-1);
      if (!session || !last) return undefined;
      const { session: after } = await store.rewindSession(this.key, { toSeq: last.seq - 1 }, { expectVersion: session.version }).catch(rethrowAsLostRace);
      this.knownVersion = after.version;
      return eventToItem(last);
    });
  }

  /** Removes every item. The session, its id and its superseded events stay. */
  async clearSession(): Promise<void> {
    const store = await this.store();
    await this.retrying(async () => {
      const session = await this.read(store, { withEvents: false });
      if (!session || session.eventCount === 0) return;
      const { session: after } = await store.rewindSession(this.key, { toSeq: 0 }, { expectVersion: session.version }).catch(rethrowAsLostRace);
      this.knownVersion = after.version;
    });
  }

  /**
   * The SDK's history-transaction capability: `append_items` appends,
   * `replace_suffix` replaces the last items when they still equal
   * `expectedSuffix` (else it throws a `conflict` error and changes nothing).
   * Atomic: a process that dies half-way leaves an intent that the next call
   * on this session (from any process) completes. Idempotent: repeating an
   * `operationId` with the same transaction changes nothing; with another
   * transaction it throws a `conflict` error. The session remembers its last
   * 100 operations (a `clearSession` does not forget them).
   */
  async applyHistoryTransaction(args: SessionHistoryTransactionArgs): Promise<void> {
    const store = await this.store();
    const tx = prepareTransaction(args, () => uuidv7(), store.limits.maxEventsPerAppend);
    const k = tx.expectedSuffix.length;
    await this.retrying(async () => {
      const session = (await this.read(store, { lastEvents: k + 1 })) ?? (k > 0 ? null : await this.create(store));
      if (!session) throw suffixMismatch(tx.operationId);
      const applied = appliedDigest(session.metadata, tx.operationId);
      if (applied !== undefined) {
        if (applied === tx.digest) return;
        throw new SessionDbError('conflict', `History operation "${tx.operationId}" was already applied with a different transaction; nothing was changed.`, {
          operationId: tx.operationId,
        });
      }
      const events = session.events ?? [];
      const tail = events.slice(Math.max(0, events.length - k));
      if (tail.length < k || tail.some((event, i) => canonicalItem(eventToItem(event)) !== tx.expectedSuffix[i])) {
        throw suffixMismatch(tx.operationId);
      }
      const base = session.eventCount - k;
      const pending: PendingTransaction = {
        operationId: tx.operationId,
        digest: tx.digest,
        base,
        baseId: base === 0 ? null : events[events.length - k - 1]!.id,
        remove: tail.map((e) => e.id),
        add: tx.add,
      };
      await store.updateSession(this.key, { metadata: withPending(session.metadata, pending) }, { expectVersion: session.version }).catch((err: unknown) => {
        // The intent holds the new items until the transaction completes: they count against the metadata limit.
        if (err instanceof TooLargeError) throw new TooLargeError('transaction', err.actual, err.limit, 'bytes of JSON (session metadata)');
        throw err;
      });
      this.knownVersion = null;
      const after = await this.read(store, { withEvents: false }); // finishes the intent
      if (after && appliedDigest(after.metadata, tx.operationId) === tx.digest) return;
      // Given up: a writer that does not know the protocol changed the history meanwhile. Decide again.
      throw new ConflictError(session.version + 1, after?.version ?? 0, 'the session history changed during the transaction');
    });
  }

  /**
   * Reads the session, first finishing any pending transaction (so callers
   * never see one half-applied). Null when it does not exist.
   */
  private async read(store: SessionStore, options: ReadOptions): Promise<Session | null> {
    for (;;) {
      const session = await store.getSession(this.key, options);
      if (!session) {
        this.knownVersion = null;
        return null;
      }
      if (!agentsMetadata(session.metadata).pending) {
        this.knownVersion = session.version;
        return session;
      }
      await this.finishPending(store);
    }
  }

  /** Takes the steps of the pending transaction (if any) until none is pending. */
  private async finishPending(store: SessionStore): Promise<void> {
    await this.retrying(async () => {
      for (;;) {
        const session = await store.getSession(this.key, { lastEvents: 1 });
        const pending = session && agentsMetadata(session.metadata).pending;
        if (!session || !pending) return;
        const step = nextStep(pending, { eventCount: session.eventCount, lastEventId: session.events?.at(-1)?.id ?? null });
        const expectVersion = session.version;
        if (step === 'rewind') await store.rewindSession(this.key, { toSeq: pending.base }, { expectVersion });
        else if (step === 'append') await store.appendEvents(this.key, pending.add, { expectVersion });
        else await store.updateSession(this.key, { metadata: withoutPending(session.metadata, step === 'finalize') }, { expectVersion });
      }
    });
  }

  /** Appends with `expectVersion`, re-reading (and creating the session) after a lost race. */
  private async append(store: SessionStore, events: NewEvent[]): Promise<void> {
    await this.retrying(async () => {
      const version = this.knownVersion ?? (await this.head(store)).version;
      try {
        const result = await store.appendEvents(this.key, events, { expectVersion: version });
        this.knownVersion = result.version;
      } catch (err) {
        this.knownVersion = null;
        rethrowAsLostRace(err);
      }
    });
  }

  /** The session without events (created when missing). */
  private async head(store: SessionStore): Promise<Session> {
    return (await this.read(store, { withEvents: false })) ?? (await this.create(store));
  }

  private async create(store: SessionStore): Promise<Session> {
    try {
      const created = await store.createSession({ tenant: this.key.tenant, appName: this.key.appName, userId: this.key.userId, id: this.key.sessionId });
      this.knownVersion = created.version;
      return { ...created, events: [] };
    } catch (err) {
      if (!(err instanceof SessionExistsError)) throw err;
      const session = await this.read(store, { withEvents: false });
      if (!session) throw err;
      return { ...session, events: [] };
    }
  }

  /** Runs `attempt` again after a `ConflictError` (another writer won the race), with a growing random pause. */
  private async retrying<T>(attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (err) {
        if (!(err instanceof ConflictError) || n >= MAX_ATTEMPTS) throw err;
        this.knownVersion = null;
        await backoff(n);
      }
    }
  }
}

/** Rethrows `err`; a session deleted between a read and a write becomes a lost race (`ConflictError`), so the write is decided again on a new read. */
function rethrowAsLostRace(err: unknown): never {
  if (err instanceof SessionNotFoundError) throw new ConflictError(-1, 0, 'The session was deleted while it was being written; read it again.');
  throw err;
}

function suffixMismatch(operationId: string): SessionDbError {
  return new SessionDbError('conflict', 'The session history no longer ends with the expected suffix; nothing was changed. Read the history again.', {
    operationId,
  });
}

function backoff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(2 ** attempt, 50);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
