import { SessionDbError, ValidationError } from '../../core/errors.js';
import { describeType, isPlainObject, setOwn, toJsonText } from '../../core/json.js';
import type { Limits } from '../../core/limits.js';
import type { JsonObject, NewEvent, SessionEvent } from '../../core/types.js';
import { checkName } from '../../core/validate.js';
import { canonicalJson } from '../../transfer/snapshot.js';

/**
 * What the chat store needs of a message. The AI SDK's `UIMessage` (and any
 * `UIMessage<Metadata, DataParts, Tools>`) fits; other fields (`metadata`, or
 * your own) are stored as they are.
 */
export interface ChatMessage {
  id: string;
  role: 'system' | 'user' | 'assistant';
  parts: unknown[];
}

const ROLES: readonly string[] = ['system', 'user', 'assistant'];

/** Where a message's fields other than id, role and parts live in its event's metadata. */
const FIELDS_KEY = 'uiMessage';

/** A message validated and serialized once: the event to append and the text to compare stored events with. */
export interface PreparedMessage {
  id: string;
  event: NewEvent;
  /** Canonical JSON of the message as it will read back (object keys sorted). */
  canonical: string;
}

/**
 * Validates a list of messages before anything is written: every id a
 * non-empty name and unique in the list, roles the AI SDK's, parts an array of
 * JSON within the store's content limit, other fields JSON. Errors name the
 * field, e.g. `messages[3].id`.
 */
export function prepareMessages(messages: unknown, limits: Limits, maxMessages: number): PreparedMessage[] {
  if (!Array.isArray(messages)) throw new ValidationError('messages', `must be an array of UI messages, got ${describeType(messages)}`);
  if (messages.length > maxMessages) {
    throw new SessionDbError('too_large', `messages holds ${messages.length} messages; this chat store keeps at most ${maxMessages} in one chat (its maxMessages option).`, {
      field: 'messages',
      limit: maxMessages,
      actual: messages.length,
    });
  }
  const seen = new Set<string>();
  return messages.map((message: unknown, i) => {
    const field = `messages[${i}]`;
    if (!isPlainObject(message)) throw new ValidationError(field, `must be a message object ({ id, role, parts }), got ${describeType(message)}`);
    const { id, role, parts, ...fields } = message;
    if (id === '') {
      throw new ValidationError(
        `${field}.id`,
        'is empty',
        'A stored message needs a stable id: pass generateMessageId (e.g. createIdGenerator() from "ai") to toUIMessageStreamResponse.',
      );
    }
    const messageId = checkName(`${field}.id`, id, limits);
    if (seen.has(messageId)) throw new ValidationError(`${field}.id`, `"${messageId}" appears twice in the list`, 'Message ids must be unique within a chat.');
    seen.add(messageId);
    if (typeof role !== 'string' || !ROLES.includes(role)) {
      throw new ValidationError(`${field}.role`, `must be one of ${ROLES.join(', ')}, got ${JSON.stringify(role) ?? describeType(role)}`);
    }
    if (!Array.isArray(parts)) throw new ValidationError(`${field}.parts`, `must be an array, got ${describeType(parts)}`);
    const partsText = toJsonText(`${field}.parts`, parts, limits.maxEventContentBytes);
    const hasFields = Object.values(fields).some((v) => v !== undefined);
    const fieldsText = hasFields ? toJsonText(field, fields, limits.maxJsonBytes) : null;
    const storedParts = JSON.parse(partsText) as unknown[];
    const storedFields = fieldsText === null ? null : (JSON.parse(fieldsText) as JsonObject);
    const event: NewEvent = {
      id: messageId,
      author: role,
      role: role as ChatMessage['role'],
      content: storedParts,
      ...(storedFields ? { metadata: { [FIELDS_KEY]: storedFields } } : {}),
    };
    return { id: messageId, event, canonical: canonicalJson(assemble(messageId, role, storedParts, storedFields)) };
  });
}

/** The message an event stores (the inverse of `prepareMessages`). */
export function messageOf<M extends ChatMessage>(event: SessionEvent): M {
  const fields = event.metadata?.[FIELDS_KEY];
  const parts = Array.isArray(event.content) ? event.content : [];
  return assemble(event.id, event.role ?? event.author, parts, isPlainObject(fields) ? fields : null) as unknown as M;
}

/** Canonical JSON of the message a stored event holds, for comparing it with a saved one. */
export function canonicalOf(event: SessionEvent): string {
  return canonicalJson(messageOf(event));
}

function assemble(id: string, role: string, parts: unknown[], fields: JsonObject | null): JsonObject {
  const message: JsonObject = { id, role };
  for (const [key, value] of Object.entries(fields ?? {})) {
    if (key !== 'id' && key !== 'role' && key !== 'parts') setOwn(message, key, value);
  }
  message['parts'] = parts;
  return message;
}
