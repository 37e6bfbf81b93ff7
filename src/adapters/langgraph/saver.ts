import { isDeepStrictEqual } from 'node:util';
import {
  BaseCheckpointSaver,
  copyCheckpoint,
  getCheckpointId,
  maxChannelVersion,
  TASKS,
  WRITES_IDX_MAP,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  type PendingWrite,
  type SerializerProtocol,
} from '@langchain/langgraph-checkpoint';
import type { RunnableConfig } from '@langchain/core/runnables';
import { SessionDbError, ValidationError } from '../../core/errors.js';
import type { SessionStore } from '../../core/store.js';
import type { JsonObject, SessionKey } from '../../core/types.js';
import { checkName } from '../../core/validate.js';
import { lazyStore, type LazyStore, type StoreSource } from '../shared/store-source.js';
import { effectiveWrites } from './pending-writes.js';
import {
  AUTHOR,
  checkpointEventId,
  decodeBytes,
  encodeBytes,
  eventContent,
  headKey,
  MAX_LISTED_WRITES,
  NAMESPACE_TAG_LENGTH,
  readHead,
  writesEventId,
  type CheckpointRecord,
  type HeadEntry,
  type StoredBytes,
  type WritesRecord,
} from './records.js';
import { checkpointText, writesText } from './summary.js';
import { checkpointsNewestFirst, findCheckpoint, readHeadCheckpoint, type FoundCheckpoint } from './thread-reader.js';
import { ThreadWriter } from './thread-writer.js';

/** Under which names {@link SessiondbSaver} keeps threads, and how it serializes them. */
export interface SessiondbSaverSettings {
  /** The app every thread is a session of. Default `"langgraph"`. */
  appName?: string;
  /** The user every thread belongs to. Default `"langgraph"`. */
  userId?: string;
  /** The tenant; default the store's default tenant. */
  tenant?: string;
  /** How checkpoints and writes are serialized. Default LangGraph's `JsonPlusSerializer`. */
  serde?: SerializerProtocol;
}

/**
 * Options of {@link SessiondbSaver}: `store` (an open store, left open by the
 * saver) or `url` (a store URL such as `sqlite:./data/graph.db`, opened on
 * first use and closed by `close()`), and the settings.
 */
export type SessiondbSaverOptions = StoreSource & SessiondbSaverSettings;

const PAGE_OF_THREADS = 100;

/**
 * A LangGraph.js checkpointer on any sessiondb store: each thread is a
 * session (id = `thread_id`), each checkpoint and each task's writes an event
 * of it, so threads persist in your own database, can be read, searched and
 * exported in the console, and are deleted with `deleteThread` (the session).
 *
 * Costs: the latest checkpoint of a thread (what a run resumes from) is two
 * reads whatever the thread's length; a checkpoint by id reads the thread from
 * its newest event back to that checkpoint (a recent one is a read or two);
 * `list` reads newest first and stops at `limit`.
 */
export class SessiondbSaver extends BaseCheckpointSaver {
  readonly appName: string;
  readonly userId: string;
  readonly tenant: string | undefined;
  private readonly source: LazyStore;
  private readonly writer: ThreadWriter;

  constructor(options: SessiondbSaverOptions) {
    super(options?.serde);
    if (options === null || typeof options !== 'object') {
      throw new ValidationError('options', 'must be an object', 'Pass { store } (an open SessionStore) or { url } (a store URL such as "sqlite:./data/graph.db").');
    }
    this.source = lazyStore(options);
    this.appName = options.appName ?? 'langgraph';
    this.userId = options.userId ?? 'langgraph';
    this.tenant = options.tenant;
    for (const [field, value] of [['appName', this.appName], ['userId', this.userId]] as const) {
      if (typeof value !== 'string' || value === '') throw new ValidationError(`options.${field}`, 'must be a non-empty string');
    }
    this.writer = new ThreadWriter((key) => ({
      ...(key.tenant === undefined ? {} : { tenant: key.tenant }),
      appName: key.appName,
      userId: key.userId,
      id: key.sessionId,
      metadata: { title: `LangGraph thread ${key.sessionId}`, langgraph: { thread_id: key.sessionId } },
    }));
  }

  /** The checkpoint `config` names (the latest of its thread and namespace without a `checkpoint_id`), or undefined. */
  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const store = await this.source.get();
    const threadId = this.threadIdOf(config, store, false);
    if (threadId === undefined) return undefined;
    const ns = namespaceOf(config);
    const checkpointId = getCheckpointId(config) || undefined;
    const key = this.keyOf(threadId);
    const session = await store.getSession(key, { withEvents: false });
    if (!session) return undefined;
    const head = readHead(session.state, ns, store.limits.maxStateKeyLength);
    if (!head) {
      // Without a head the namespace has no checkpoint, unless the session was changed by hand.
      return checkpointId === undefined ? undefined : this.foundToTuple(store, key, await findCheckpoint(store, key, ns, checkpointId));
    }
    const wanted = checkpointId ?? head.checkpoint_id;
    const found = (wanted === head.checkpoint_id ? await readHeadCheckpoint(store, key, head) : null) ?? (await findCheckpoint(store, key, ns, wanted));
    return this.foundToTuple(store, key, found);
  }

  /**
   * Checkpoints newest first: of one thread (and one namespace, when
   * `checkpoint_ns` is given), or of every thread (most recently written
   * thread first) when `thread_id` is absent. `before` keeps checkpoints whose
   * id sorts before its `checkpoint_id`; `filter` keeps those whose metadata has
   * each of its keys with an equal value.
   */
  async *list(config: RunnableConfig, options?: CheckpointListOptions): AsyncGenerator<CheckpointTuple> {
    const { limit, before, filter } = options ?? {};
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
      throw new ValidationError('options.limit', `must be a non-negative integer, got ${JSON.stringify(limit)}`);
    }
    if (limit === 0) return;
    const store = await this.source.get();
    const threadId = this.threadIdOf(config, store, false);
    const ns = config.configurable?.['checkpoint_ns'] === undefined ? undefined : namespaceOf(config);
    const onlyId: unknown = config.configurable?.['checkpoint_id'];
    const beforeId: unknown = before?.configurable?.['checkpoint_id'];
    let left = limit ?? Infinity;
    const threads = threadId === undefined ? this.threadIds(store) : [threadId];
    for await (const thread of threads) {
      const key = this.keyOf(thread);
      for await (const found of checkpointsNewestFirst(store, key, ns)) {
        const id = found.record.checkpoint_id;
        if (typeof onlyId === 'string' && onlyId !== '' && id !== onlyId) continue;
        if (typeof beforeId === 'string' && beforeId !== '' && !(id < beforeId)) continue;
        const metadata = (await this.load(found.record.metadata)) as CheckpointMetadata;
        if (filter && !Object.entries(filter).every(([k, v]) => isDeepStrictEqual((metadata as Record<string, unknown>)?.[k], v))) continue;
        yield await this.toTuple(store, key, found, metadata);
        if (--left <= 0) return;
      }
    }
  }

  /** Stores a checkpoint (as the latest of its namespace) and returns the config that names it. */
  async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
    const store = await this.source.get();
    const threadId = this.threadIdOf(config, store, true);
    const ns = namespaceOf(config);
    const checkpointId = checkName('checkpoint.id', checkpoint?.id, { ...store.limits, maxNameLength: store.limits.maxNameLength - (ns === '' ? 0 : NAMESPACE_TAG_LENGTH) });
    const parent: unknown = config.configurable?.['checkpoint_id'];
    const copy = copyCheckpoint(checkpoint);
    const [serialized, serializedMetadata] = await Promise.all([this.serde.dumpsTyped(copy), this.serde.dumpsTyped(metadata)]);
    const record: CheckpointRecord = {
      kind: 'checkpoint',
      checkpoint_ns: ns,
      checkpoint_id: checkpointId,
      parent_checkpoint_id: typeof parent === 'string' && parent !== '' ? parent : null,
      checkpoint: encodeBytes(serialized),
      metadata: encodeBytes(serializedMetadata),
    };
    const changed = Object.keys(newVersions ?? {}).map((channel): [string, unknown] => [channel, copy.channel_values[channel]]);
    const content = eventContent(checkpointText(ns, metadata, changed), record);
    checkSize(store, content, `checkpoint ${checkpointId}`, threadId, ns);
    const key = this.keyOf(threadId);
    const maxKey = store.limits.maxStateKeyLength;
    await this.writer.append(store, key, (snapshot) => ({
      event: { id: checkpointEventId(ns, checkpointId), author: AUTHOR, content },
      stateDelta: { [headKey(ns, maxKey)]: headEntry(ns, checkpointId, snapshot.nextSeq, []) },
    }));
    return { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: checkpointId } };
  }

  /** Stores a task's writes against the checkpoint `config` names. */
  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string): Promise<void> {
    const store = await this.source.get();
    const threadId = this.threadIdOf(config, store, true);
    const ns = namespaceOf(config);
    const checkpointId = config.configurable?.['checkpoint_id'];
    if (typeof checkpointId !== 'string' || checkpointId === '') {
      throw new ValidationError('config.configurable.checkpoint_id', 'is missing', 'Writes belong to a checkpoint: pass the config that put() returned.');
    }
    if (typeof taskId !== 'string') throw new ValidationError('taskId', `must be a string, got ${typeof taskId}`);
    if (!Array.isArray(writes)) throw new ValidationError('writes', 'must be an array of [channel, value] pairs');
    if (writes.length === 0) return;
    const stored = await Promise.all(
      writes.map(async ([channel, value], i) => ({
        channel,
        idx: Object.hasOwn(WRITES_IDX_MAP, channel) ? WRITES_IDX_MAP[channel]! : i,
        ...encodeBytes(await this.serde.dumpsTyped(value)),
      })),
    );
    const record: WritesRecord = { kind: 'writes', checkpoint_ns: ns, checkpoint_id: checkpointId, task_id: taskId, task_path: taskPath ?? '', writes: stored };
    const content = eventContent(writesText(ns, taskId, record.task_path, writes), record);
    checkSize(store, content, `writes of task ${taskId} against checkpoint ${checkpointId}`, threadId, ns);
    const key = this.keyOf(threadId);
    const maxKey = store.limits.maxStateKeyLength;
    await this.writer.append(store, key, (snapshot) => {
      const head = readHead(snapshot.state, ns, maxKey);
      const event = { id: writesEventId(record), author: AUTHOR, content };
      // Writes against the head are listed in it, so the latest checkpoint reads without a scan.
      if (head?.checkpoint_id !== checkpointId || head.writes === null) return { event };
      const writes = head.writes.length < MAX_LISTED_WRITES ? [...head.writes, snapshot.nextSeq] : null;
      return { event, stateDelta: { [headKey(ns, maxKey)]: headEntry(ns, checkpointId, head.seq, writes) } };
    });
  }

  /** Deletes a thread: its session, with every checkpoint and write of every namespace. */
  async deleteThread(threadId: string): Promise<void> {
    const store = await this.source.get();
    const key = this.keyOf(checkThreadId(threadId, store, 'threadId'));
    await this.writer.oneAtATime(key, async () => {
      await store.deleteSession(key);
      this.writer.forget(key);
    });
  }

  /** Closes the store if the saver opened it from `url`; a store passed in stays open. */
  async close(): Promise<void> {
    await this.source.close();
  }

  private keyOf(threadId: string): SessionKey {
    return { ...(this.tenant === undefined ? {} : { tenant: this.tenant }), appName: this.appName, userId: this.userId, sessionId: threadId };
  }

  private threadIdOf(config: RunnableConfig, store: SessionStore, required: true): string;
  private threadIdOf(config: RunnableConfig, store: SessionStore, required: false): string | undefined;
  private threadIdOf(config: RunnableConfig, store: SessionStore, required: boolean): string | undefined {
    const value: unknown = config?.configurable?.['thread_id'];
    if (value === undefined || value === null) {
      if (!required) return undefined;
      throw new ValidationError(
        'config.configurable.thread_id',
        'is missing',
        'A checkpointer keeps state per thread: run the graph with { configurable: { thread_id: "…" } }.',
      );
    }
    return checkThreadId(value, store, 'config.configurable.thread_id');
  }

  private async *threadIds(store: SessionStore): AsyncGenerator<string> {
    let cursor: string | null = null;
    const query = { ...(this.tenant === undefined ? {} : { tenant: this.tenant }), appName: this.appName, userId: this.userId, order: 'desc' as const };
    do {
      const page = await store.listSessions({ ...query, limit: Math.min(PAGE_OF_THREADS, store.limits.maxPageSize), cursor });
      for (const session of page.sessions) yield session.id;
      cursor = page.nextCursor;
    } while (cursor);
  }

  private async foundToTuple(store: SessionStore, key: SessionKey, found: FoundCheckpoint | null): Promise<CheckpointTuple | undefined> {
    return found ? this.toTuple(store, key, found, (await this.load(found.record.metadata)) as CheckpointMetadata) : undefined;
  }

  private async toTuple(store: SessionStore, key: SessionKey, found: FoundCheckpoint, metadata: CheckpointMetadata): Promise<CheckpointTuple> {
    const { checkpoint_ns: ns, checkpoint_id: id, parent_checkpoint_id: parentId } = found.record;
    const checkpoint = (await this.load(found.record.checkpoint)) as Checkpoint;
    if (checkpoint.v < 4 && parentId !== null) await this.migratePendingSends(store, key, checkpoint, ns, parentId);
    const tuple: CheckpointTuple = {
      config: { configurable: { thread_id: key.sessionId, checkpoint_ns: ns, checkpoint_id: id } },
      checkpoint,
      metadata,
      pendingWrites: await this.pendingWrites(found),
    };
    if (parentId !== null) tuple.parentConfig = { configurable: { thread_id: key.sessionId, checkpoint_ns: ns, checkpoint_id: parentId } };
    return tuple;
  }

  private async pendingWrites(found: FoundCheckpoint): Promise<CheckpointPendingWrite[]> {
    return Promise.all(effectiveWrites(found.writes).map(async ({ taskId, write }): Promise<CheckpointPendingWrite> => [taskId, write.channel, await this.load(write)]));
  }

  /**
   * Checkpoints of format version < 4 kept the sends of a step as writes
   * against their parent; LangGraph now expects them in the `__pregel_tasks`
   * channel, as its own savers migrate them when reading.
   */
  private async migratePendingSends(store: SessionStore, key: SessionKey, checkpoint: Checkpoint, ns: string, parentId: string): Promise<void> {
    const parent = await findCheckpoint(store, key, ns, parentId);
    const sends = parent ? effectiveWrites(parent.writes).filter(({ write }) => write.channel === TASKS) : [];
    checkpoint.channel_values ??= {};
    checkpoint.channel_values[TASKS] = await Promise.all(sends.map(({ write }) => this.load(write)));
    checkpoint.channel_versions ??= {};
    const versions = Object.values(checkpoint.channel_versions);
    checkpoint.channel_versions[TASKS] = versions.length > 0 ? maxChannelVersion(...versions) : this.getNextVersion(undefined);
  }

  private load(stored: StoredBytes): Promise<unknown> {
    return this.serde.loadsTyped(stored.type, decodeBytes(stored));
  }
}

function headEntry(ns: string, checkpointId: string, seq: number, writes: number[] | null): HeadEntry & JsonObject {
  return { checkpoint_ns: ns, checkpoint_id: checkpointId, seq, writes };
}

function checkThreadId(value: unknown, store: SessionStore, field: string): string {
  // LangGraph allows numeric thread ids; a session id is a string.
  return checkName(field, typeof value === 'number' && Number.isFinite(value) ? String(value) : value, store.limits);
}

function namespaceOf(config: RunnableConfig): string {
  const ns: unknown = config.configurable?.['checkpoint_ns'] ?? '';
  if (typeof ns !== 'string') throw new ValidationError('config.configurable.checkpoint_ns', `must be a string, got ${typeof ns}`);
  return ns;
}

/** A clear error before the store's generic one: which thread, what, how big, and what to do. */
function checkSize(store: SessionStore, content: JsonObject, what: string, threadId: string, ns: string): void {
  const limit = store.limits.maxEventContentBytes;
  const text = JSON.stringify(content);
  if (text.length * 3 <= limit) return;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= limit) return;
  throw new SessionDbError(
    'too_large',
    `LangGraph thread "${threadId}"${ns === '' ? '' : ` (namespace "${ns}")`}: ${what} is ${bytes} bytes once stored, over the store's limit of ${limit} bytes per event ` +
      '(limits.maxEventContentBytes); nothing was stored. Keep large data out of the graph state (store it elsewhere and keep a reference), or open the store with a higher maxEventContentBytes.',
    { field: 'checkpoint', threadId, checkpointNs: ns, actual: bytes, limit },
  );
}
