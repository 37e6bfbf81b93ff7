import { createEvent, type Event } from '@google/adk';
import { toStoreEvent } from '../../src/adapters/adk/event-mapping.js';
import type { NewEvent } from '../../src/core/types.js';

/** About 300 bytes of model text: the body of every benchmark event. */
export const EVENT_TEXT = 'The quick brown fox jumps over the lazy dog. '.repeat(7).slice(0, 300);

/** The app every benchmark session belongs to. */
export const APP_NAME = 'bench';

/** One ADK model turn: ~300 bytes of text and a one-key state delta. */
export function adkEvent(turn: number): Event {
  return createEvent({
    author: 'assistant',
    invocationId: `inv-${turn}`,
    content: { role: 'model', parts: [{ text: EVENT_TEXT }] },
    actions: { stateDelta: { turn } },
  });
}

/**
 * The same turn as sessiondb stores it (what AdkSessionService hands the store),
 * so the SessionStore and the raw floors write exactly the bytes the ADK path writes.
 */
export function storeEvent(turn: number): NewEvent {
  return toStoreEvent(adkEvent(turn));
}
