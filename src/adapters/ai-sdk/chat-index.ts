import { createHash } from 'node:crypto';
import type { SessionStore } from '../../core/store.js';

/** Chats whose owner a chat store remembers in memory; the oldest are forgotten first. */
const CACHE_SIZE = 10_000;

/**
 * Finds a chat's user from its id alone, in one keyed read.
 *
 * A chat is the session `(appName, userId, chatId)`, but `loadChat(chatId)`
 * knows no user, and no store lists sessions by id without scanning. So each
 * chat has one small index record: a *file record* whose id is derived from
 * the app and the chat id, and which belongs to the chat's session. A file
 * record was chosen over the alternatives because its lifecycle is the chat's:
 * - it is read by key (`getFile`), on every store and over HTTP;
 * - it is deleted with its session by every store (`deleteChat`, the console,
 *   the CLI, an expiry sweep in `delete` mode), so it never points at a chat
 *   that is gone, and a sweep never deletes it while the chat lives (it has no
 *   `expiresAt`), as it could an index *session*, which would go idle;
 * - app or user state would do neither: `app:` keys are merged into every
 *   session read, and user state needs the user we are looking for.
 * It shows up as a file of the chat (name `ai-sdk chat index`, size 0).
 *
 * The owner of a chat never changes while it exists, so lookups are cached; a
 * cached owner whose session is gone is looked up again (`forget`).
 */
export class ChatIndex {
  private readonly owners = new Map<string, string>();

  constructor(
    private readonly tenant: string | undefined,
    private readonly appName: string,
  ) {}

  /** The id of a chat's index record: stable, at most 52 characters whatever the app name and chat id. */
  recordId(chatId: string): string {
    return 'ai-sdk-chat-' + createHash('sha256').update(JSON.stringify([this.appName, chatId])).digest('hex').slice(0, 40);
  }

  /** The user a chat belongs to, or null if there is no such chat. `cached` says whether the store was skipped. */
  async owner(store: SessionStore, chatId: string, fresh = false): Promise<{ userId: string; cached: boolean } | null> {
    const known = fresh ? undefined : this.owners.get(chatId);
    if (known !== undefined) return { userId: known, cached: true };
    const record = await store.getFile({ tenant: this.tenant, id: this.recordId(chatId) });
    // Checked, not assumed: the record must be this app's index entry for this chat.
    if (!record || record.appName !== this.appName || record.sessionId !== chatId || record.userId === null) {
      this.owners.delete(chatId);
      return null;
    }
    this.remember(chatId, record.userId);
    return { userId: record.userId, cached: false };
  }

  /** Writes the index record of a chat whose session exists. */
  async record(store: SessionStore, chatId: string, userId: string): Promise<void> {
    await store.putFile({
      tenant: this.tenant,
      id: this.recordId(chatId),
      name: 'ai-sdk chat index',
      size: 0,
      appName: this.appName,
      userId,
      sessionId: chatId,
      metadata: { chatId },
    });
    this.remember(chatId, userId);
  }

  forget(chatId: string): void {
    this.owners.delete(chatId);
  }

  private remember(chatId: string, userId: string): void {
    this.owners.delete(chatId);
    this.owners.set(chatId, userId);
    if (this.owners.size > CACHE_SIZE) this.owners.delete(this.owners.keys().next().value!);
  }
}
