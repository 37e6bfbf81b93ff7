/**
 * Chat persistence for the Vercel AI SDK's `UIMessage` pattern
 * (`sessiondb/ai-sdk`): `createChatStore` keeps each chat as a sessiondb
 * session and each message as an event. It imports nothing from `ai`.
 */
import '../../client/registration.js'; // createChatStore({ url: 'http://…' })
export { createChatStore, ChatNotFoundError, type ChatStore, type ChatStoreOptions, type ChatInfo, type ChatPage, type SaveResult } from './chat-store.js';
export type { ChatMessage } from './messages.js';
