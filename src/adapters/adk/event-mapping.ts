import type { Event } from '@google/adk';
import type { EventRole, JsonObject, NewEvent, SessionEvent } from '../../core/types.js';

/** ADK marks its event objects with this registered symbol (`isEvent` checks it). */
const ADK_EVENT_SYMBOL = Symbol.for('google.adk.event');

/** Stored in place of a missing author (sessiondb events always have one); remembered in `metadata.adk.noAuthor`. */
const NO_AUTHOR = '(none)';

/**
 * An ADK event as a sessiondb event:
 * - `content` is the ADK `content` (`{ role, parts }`), the message itself;
 * - `stateDelta` is `actions.stateDelta` (already without `temp:` keys), so the
 *   store applies it in the same transaction as it stores the event;
 * - `metadata.adk` holds every other field (actions without the delta, usage,
 *   grounding, citations, transcriptions, error fields, branch, `partial: false`,
 *   …) verbatim, falsy and empty values included;
 * - an author the store cannot hold as a name (none, or `""`) is stored as a
 *   placeholder and remembered in `metadata.adk` (`noAuthor`, or `author: ""`);
 * - `role` is derived for readers that are not ADK (exports, the web page).
 *
 * `toAdkEvent` reverses it: every field of the ADK event reads back as it was
 * given (as JSON carries it: `undefined` fields stay absent).
 */
export function toStoreEvent(event: Event): NewEvent {
  const { id, timestamp, author, invocationId, content, actions, ...rest } = event as Event & Record<string, unknown>;
  const { stateDelta, ...otherActions } = (actions ?? {}) as Event['actions'];
  const adk: JsonObject = { ...rest, actions: otherActions };
  if (author === undefined) adk['noAuthor'] = true;
  else if (author === '') adk['author'] = '';
  const out: NewEvent = {
    id,
    timestamp,
    author: author || NO_AUTHOR,
    metadata: { adk },
  };
  if (event.partial === true) out.partial = true; // never stored, as in appendEvent
  if (invocationId) out.invocationId = invocationId;
  if (content !== undefined) out.content = content;
  const role = roleOf(content);
  if (role) out.role = role;
  if (stateDelta && Object.keys(stateDelta).length > 0) out.stateDelta = { ...stateDelta };
  return out;
}

/** A stored event as an ADK event. Events written without ADK get ADK's defaults. */
export function toAdkEvent(event: SessionEvent): Event {
  const adk = event.metadata?.['adk'] as JsonObject | undefined;
  const base = adk ? fromAdkMetadata(adk, event) : fromPlainEvent(event);
  Object.defineProperty(base, ADK_EVENT_SYMBOL, { value: true, enumerable: true, writable: false, configurable: true });
  return base as unknown as Event;
}

function fromAdkMetadata(adk: JsonObject, event: SessionEvent): Record<string, unknown> {
  const { noAuthor, author, actions, ...rest } = adk;
  const out: Record<string, unknown> = {
    ...rest,
    id: event.id,
    invocationId: event.invocationId ?? '',
    timestamp: event.timestamp,
    actions: { ...(actions as JsonObject | undefined), stateDelta: event.stateDelta ?? {} },
  };
  if (typeof author === 'string') out['author'] = author;
  else if (noAuthor !== true) out['author'] = event.author;
  if (event.content !== undefined) out['content'] = event.content;
  return out;
}

function fromPlainEvent(event: SessionEvent): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: event.id,
    invocationId: event.invocationId ?? '',
    author: event.author,
    timestamp: event.timestamp,
    actions: { stateDelta: event.stateDelta ?? {}, artifactDelta: {}, requestedAuthConfigs: {}, requestedToolConfirmations: {} },
    longRunningToolIds: [],
  };
  const content = event.content;
  if (typeof content === 'string') {
    out['content'] = { role: event.role === 'user' ? 'user' : 'model', parts: [{ text: content }] };
  } else if (content !== undefined) {
    out['content'] = content;
  }
  return out;
}

function roleOf(content: Event['content']): EventRole | undefined {
  if (!content) return undefined;
  if (content.role === 'model') return 'assistant';
  if (content.role === 'user') return content.parts?.some((p) => p.functionResponse) ? 'tool' : 'user';
  return undefined;
}
