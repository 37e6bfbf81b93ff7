import { ConflictError, SessionDbError, ValidationError, isSessionDbError } from '../../core/errors.js';
import { describeType, requirePlainObject } from '../../core/json.js';
import { uuidv7 } from '../../core/ids.js';
import type { SessionStore } from '../../core/store.js';
import type { JsonObject, ReadOptions, Session, SessionKey } from '../../core/types.js';
import { checkName, checkPageLimit } from '../../core/validate.js';
import { lazyStore, type LazyStore, type StoreSource } from '../shared/store-source.js';
import { ChatIndex } from './chat-index.js';
import { messageOf, prepareMessages, type ChatMessage } from './messages.js';
import { planSave, type SavePlan } from './save-plan.js';

/** Options of {@link createChatStore}: where chats are kept (`store` or `url`) and under which app. */
export type ChatStoreOptions = StoreSource & {
  /** The sessiondb app every chat of this store belongs to. Give the chats an app of their own. */
  appName: string;
  /** The tenant (default `"default"`). */
  tenant?: string;
  /** The most messages one chat may hold (default 10,000); a longer `saveChat` is refused with `too_large`. */
  maxMessages?: number;
};

/** One chat, as `getChat` and `listChats` describe it. */
export interface ChatInfo {
  chatId: string;
  userId: string;
  title?: string;
  createdAt: number;
  /** The time of the chat's last write (a save, a title, a stream id), epoch ms. */
  updatedAt: number;
  messageCount: number;
  activeStreamId: string | null;
}

/** A page of `listChats`: pass `nextCursor` back for the next one (null at the end). */
export interface ChatPage {
  chats: ChatInfo[];
  nextCursor: string | null;
}

/** What `saveChat` wrote: messages appended, and stored messages rewound (readable with `readSupersededEvents`). */
export interface SaveResult {
  appended: number;
  superseded: number;
}

/**
 * Chat persistence for the AI SDK's `UIMessage` pattern, on any sessiondb
 * store. A chat is a session (`appName`, `userId`, `chatId`); a message is an
 * event whose id is the message id.
 */
export interface ChatStore<M extends ChatMessage = ChatMessage> {
  /**
   * Creates a chat for a user and returns its id (a new UUIDv7 unless
   * `chatId` is given). Chat ids are unique within the app: an id another
   * user's chat has is refused (`exists`); creating a chat that exists for the
   * same user returns its id and changes nothing.
   */
  createChat(input: { userId: string; chatId?: string; title?: string }): Promise<string>;
  /** The chat's user, title, times, message count and active stream id; null if there is no such chat. */
  getChat(chatId: string): Promise<ChatInfo | null>;
  /** The chat's messages, oldest first, exactly as saved. Throws `ChatNotFoundError` (`not_found`). */
  loadChat(chatId: string): Promise<M[]>;
  /**
   * Makes the stored chat equal to `messages` (typically `onFinish`'s
   * `messages`), writing only the difference: the stored messages that match
   * the start of the list (same id, same content) stay; the rest of the
   * stored chat is rewound — kept as superseded events, not lost — and the
   * rest of the list appended. Saving the same list again writes nothing. A
   * concurrent write is detected by version and the save is planned again
   * from what is then stored, so two saves never interleave: the chat ends up
   * as one of the lists. Every message is validated before the first write.
   */
  saveChat(input: { chatId: string; messages: readonly M[] }): Promise<SaveResult>;
  /** A user's chats, most recently updated first. `limit` defaults to 50. */
  listChats(query: { userId: string; cursor?: string | null; limit?: number }): Promise<ChatPage>;
  /** Sets (or with null removes) the chat's title, which `listChats` shows and search finds. */
  setTitle(chatId: string, title: string | null): Promise<void>;
  /** Deletes the chat with its messages (superseded ones too). True if it existed. */
  deleteChat(chatId: string): Promise<boolean>;
  /** The id of the stream a client can resume (set by `setActiveStreamId`), or null. */
  getActiveStreamId(chatId: string): Promise<string | null>;
  /**
   * Stores (or with null clears) the chat's active stream id, visible to every
   * process and kept across restarts. With `expectStreamId`, only when the
   * current id is that one (null: none), so a late "stream finished" does not
   * clear a newer stream. Returns false when that check failed (nothing
   * changed), true when the active stream id is now `streamId`.
   */
  setActiveStreamId(chatId: string, streamId: string | null, options?: { expectStreamId?: string | null }): Promise<boolean>;
  /** Closes the store if this chat store opened it from `url`. */
  close(): Promise<void>;
}

/** A chat id that no chat of this store's app has. */
export class ChatNotFoundError extends SessionDbError {
  constructor(appName: string, chatId: string) {
    super('not_found', `Chat "${chatId}" not found in app "${appName}". Create it first with createChat({ userId, chatId }).`, { appName, chatId });
  }
}

/** Saves and metadata writes that lose a version race this many times in a row give up with `ConflictError`. */
const MAX_ATTEMPTS = 10;
const DEFAULT_MAX_MESSAGES = 10_000;
const MAX_TITLE_LENGTH = 1000;

/**
 * A chat store for the AI SDK. `M` is your message type (`UIMessage`, or
 * `UIMessage<Metadata, DataParts, Tools>`); nothing of the `ai` package is
 * loaded.
 *
 * @example
 * const chats = createChatStore<UIMessage>({ url: 'sqlite:./data/chats.db', appName: 'my-app' });
 * const chatId = await chats.createChat({ userId: 'u1' });
 * // in the route: result.toUIMessageStreamResponse({ originalMessages, generateMessageId,
 * //   onFinish: ({ messages }) => chats.saveChat({ chatId, messages }) })
 */
export function createChatStore<M extends ChatMessage = ChatMessage>(options: ChatStoreOptions): ChatStore<M> {
  requirePlainObject('options', options);
  const source = lazyStore(options, 'options');
  for (const field of ['appName', 'tenant'] as const) {
    const value = options[field];
    if (value === undefined && field === 'tenant') continue;
    if (typeof value !== 'string' || value === '') throw new ValidationError(`options.${field}`, `must be a non-empty string, got ${describeType(value)}`);
  }
  const maxMessages = options.maxMessages ?? DEFAULT_MAX_MESSAGES;
  if (!Number.isSafeInteger(maxMessages) || maxMessages < 1) {
    throw new ValidationError('options.maxMessages', `must be a positive integer, got ${JSON.stringify(options.maxMessages)}`);
  }
  return new SessiondbChatStore<M>(source, options.appName, options.tenant, maxMessages);
}

class SessiondbChatStore<M extends ChatMessage> implements ChatStore<M> {
  private readonly index: ChatIndex;

  constructor(
    private readonly source: LazyStore,
    private readonly appName: string,
    private readonly tenant: string | undefined,
    private readonly maxMessages: number,
  ) {
    this.index = new ChatIndex(tenant, appName);
  }

  async createChat(input: { userId: string; chatId?: string; title?: string }): Promise<string> {
    requirePlainObject('input', input);
    const store = await this.source.get();
    const userId = checkName('userId', input.userId, store.limits);
    const chatId = input.chatId === undefined ? uuidv7() : checkName('chatId', input.chatId, store.limits);
    const title = input.title === undefined ? undefined : checkTitle(input.title, store);
    const owner = await this.index.owner(store, chatId, true);
    if (owner) {
      if (owner.userId !== userId) throw this.taken(chatId);
      return chatId;
    }
    const key = this.keyOf(userId, chatId);
    let created = false;
    try {
      await store.createSession({ tenant: this.tenant, appName: this.appName, userId, id: chatId, metadata: title === undefined ? {} : { title } });
      created = true;
    } catch (err) {
      // An earlier createChat of this chat stopped before writing the index record: finish it.
      if (!(isSessionDbError(err) && err.code === 'exists')) throw err;
    }
    try {
      await this.index.record(store, chatId, userId);
    } catch (err) {
      // Without its index record the chat could not be loaded: take back the session this call made.
      if (created) await store.deleteSession(key).catch(() => undefined);
      throw err;
    }
    // Two users creating the same chat id at once: the index record written last wins, the other backs out.
    const winner = await this.index.owner(store, chatId, true);
    if (winner?.userId !== userId) {
      if (created) await store.deleteSession(key);
      throw this.taken(chatId);
    }
    return chatId;
  }

  async getChat(chatId: string): Promise<ChatInfo | null> {
    const store = await this.source.get();
    const found = await this.find(store, checkName('chatId', chatId, store.limits), { withEvents: false });
    return found ? infoOf(found.session) : null;
  }

  async loadChat(chatId: string): Promise<M[]> {
    const store = await this.source.get();
    const found = await this.find(store, checkName('chatId', chatId, store.limits), {});
    if (!found) throw new ChatNotFoundError(this.appName, chatId);
    return (found.session.events ?? []).map((e) => messageOf<M>(e));
  }

  async saveChat(input: { chatId: string; messages: readonly M[] }): Promise<SaveResult> {
    requirePlainObject('input', input);
    const store = await this.source.get();
    const chatId = checkName('chatId', input.chatId, store.limits);
    const messages = prepareMessages(input.messages, store.limits, this.maxMessages);
    return this.retrying(chatId, async () => {
      const found = await this.find(store, chatId, {});
      if (!found) throw new ChatNotFoundError(this.appName, chatId);
      return this.write(store, found.key, found.session.version, planSave(found.session.events ?? [], messages));
    });
  }

  async listChats(query: { userId: string; cursor?: string | null; limit?: number }): Promise<ChatPage> {
    requirePlainObject('query', query);
    const store = await this.source.get();
    const page = await store.listSessions({
      tenant: this.tenant,
      appName: this.appName,
      userId: checkName('userId', query.userId, store.limits),
      order: 'desc',
      limit: checkPageLimit(query.limit, 50, store.limits),
      cursor: query.cursor ?? null,
    });
    return { chats: page.sessions.map(infoOf), nextCursor: page.nextCursor };
  }

  async setTitle(chatId: string, title: string | null): Promise<void> {
    const store = await this.source.get();
    const checked = title === null ? null : checkTitle(title, store);
    await this.patchMetadata(store, checkName('chatId', chatId, store.limits), (metadata) => withKey(metadata, 'title', checked));
  }

  async deleteChat(chatId: string): Promise<boolean> {
    const store = await this.source.get();
    const id = checkName('chatId', chatId, store.limits);
    for (let owner = await this.index.owner(store, id); owner; owner = await this.index.owner(store, id, true)) {
      const deleted = await store.deleteSession(this.keyOf(owner.userId, id));
      this.index.forget(id);
      if (deleted || !owner.cached) return deleted;
    }
    return false;
  }

  async getActiveStreamId(chatId: string): Promise<string | null> {
    const info = await this.getChat(chatId);
    if (!info) throw new ChatNotFoundError(this.appName, chatId);
    return info.activeStreamId;
  }

  async setActiveStreamId(chatId: string, streamId: string | null, options: { expectStreamId?: string | null } = {}): Promise<boolean> {
    const store = await this.source.get();
    const id = checkName('chatId', chatId, store.limits);
    const next = streamId === null ? null : checkName('streamId', streamId, store.limits);
    requirePlainObject('options', options);
    const { expectStreamId } = options;
    if (expectStreamId !== undefined && expectStreamId !== null) checkName('options.expectStreamId', expectStreamId, store.limits);
    let matched = true;
    await this.patchMetadata(store, id, (metadata) => {
      const current = typeof metadata['activeStreamId'] === 'string' ? metadata['activeStreamId'] : null;
      matched = expectStreamId === undefined || current === expectStreamId;
      return matched ? withKey(metadata, 'activeStreamId', next) : null;
    });
    return matched;
  }

  close(): Promise<void> {
    return this.source.close();
  }

  private keyOf(userId: string, chatId: string): SessionKey {
    return { tenant: this.tenant, appName: this.appName, userId, sessionId: chatId };
  }

  private taken(chatId: string): SessionDbError {
    return new SessionDbError(
      'exists',
      `Chat "${chatId}" already exists in app "${this.appName}" and belongs to another user. Choose another chatId, or omit it to have one generated.`,
      { appName: this.appName, chatId },
    );
  }

  /** The chat's session (read with `options`) and key, or null. A cached owner whose session is gone is looked up again. */
  private async find(store: SessionStore, chatId: string, options: ReadOptions): Promise<{ key: SessionKey; session: Session } | null> {
    for (let owner = await this.index.owner(store, chatId); owner; owner = await this.index.owner(store, chatId, true)) {
      const key = this.keyOf(owner.userId, chatId);
      const session = await store.getSession(key, options);
      if (session) return { key, session };
      this.index.forget(chatId);
      if (!owner.cached) break;
    }
    return null;
  }

  /** Writes a save plan on top of the version it was planned from. */
  private async write(store: SessionStore, key: SessionKey, version: number, plan: SavePlan): Promise<SaveResult> {
    if (plan.supersede > 0) {
      version = (await store.rewindSession(key, { toSeq: plan.keep }, { expectVersion: version })).session.version;
    }
    const chunk = store.limits.maxEventsPerAppend;
    for (let i = 0; i < plan.append.length; i += chunk) {
      const result = await store.appendEvents(
        key,
        plan.append.slice(i, i + chunk).map((m) => m.event),
        { expectVersion: version },
      );
      // Every id of the chunk was already stored (another save got there first): an append
      // replays those without checking the version, so plan again from what is stored now.
      if (result.version !== version + 1) throw new ConflictError(version, result.version);
      version = result.version;
    }
    return { appended: plan.append.length, superseded: plan.supersede };
  }

  /** Reads the session's metadata and writes `change(metadata)` at that version; null from `change` writes nothing. */
  private async patchMetadata(store: SessionStore, chatId: string, change: (metadata: JsonObject) => JsonObject | null): Promise<void> {
    await this.retrying(chatId, async () => {
      const found = await this.find(store, chatId, { withEvents: false });
      if (!found) throw new ChatNotFoundError(this.appName, chatId);
      const metadata = change(found.session.metadata);
      if (metadata) await store.updateSession(found.key, { metadata }, { expectVersion: found.session.version });
    });
  }

  /** Runs a read-plan-write step again when another writer changed the chat in between. */
  private async retrying<T>(chatId: string, step: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await step();
      } catch (err) {
        if (!isSessionDbError(err) || attempt >= MAX_ATTEMPTS) throw err;
        if (err.code === 'not_found' && !(err instanceof ChatNotFoundError)) this.index.forget(chatId); // deleted meanwhile
        else if (err.code !== 'conflict') throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
    }
  }
}

function checkTitle(title: unknown, store: SessionStore): string {
  return checkName('title', title, { ...store.limits, maxNameLength: MAX_TITLE_LENGTH });
}

/** A copy of `metadata` with `key` set, or removed when `value` is null; null when nothing would change. */
function withKey(metadata: JsonObject, key: string, value: string | null): JsonObject | null {
  if ((metadata[key] ?? null) === value) return null;
  const next = { ...metadata };
  if (value === null) delete next[key];
  else next[key] = value;
  return next;
}

function infoOf(session: Session): ChatInfo {
  const { title, activeStreamId } = session.metadata;
  return {
    chatId: session.id,
    userId: session.userId,
    ...(typeof title === 'string' ? { title } : {}),
    createdAt: session.createdAt,
    updatedAt: session.updatedAt,
    messageCount: session.eventCount,
    activeStreamId: typeof activeStreamId === 'string' ? activeStreamId : null,
  };
}
