/**
 * The OpenAI Agents SDK for JS (`@openai/agents`) on sessiondb: a persistent
 * `Session` for `run(agent, input, { session })`. Uses the SDK's types only:
 * importing this module does not load the SDK.
 */
import '../../client/registration.js'; // { url: 'http://…' }: a sessiondb server through HttpStore
export { SessiondbSession, type SessiondbSessionOptions } from './sessiondb-session.js';
export { eventToItem, itemToEvent, ITEM_METADATA_KEY } from './item-mapping.js';
export { MAX_RECORDED_OPERATIONS } from './history-transaction.js';
