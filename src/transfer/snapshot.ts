import { createHash } from 'node:crypto';
import { scopeOf } from '../core/state.js';
import type { SessionStore } from '../core/store.js';
import type { JsonObject, SessionEvent, SessionKey, SessionSnapshot } from '../core/types.js';

const PAGE = 1000;

/** A whole session as stored (its own state, all events), or null if it does not exist. */
export async function readSnapshot(store: SessionStore, key: SessionKey): Promise<SessionSnapshot | null> {
  const session = await store.getSession(key, { withEvents: false });
  if (!session) return null;
  const events: SessionEvent[] = [];
  for (let cursor: string | null = null; ; ) {
    const page = await store.readEvents(key, { limit: PAGE, cursor });
    if (!page) return null;
    events.push(...page.events);
    if (!(cursor = page.nextCursor)) break;
  }
  const { state: merged, events: _events, ...fields } = session;
  const state: JsonObject = {};
  for (const [k, v] of Object.entries(merged)) {
    if (scopeOf(k) === 'session') Object.defineProperty(state, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  const history = await store.readStateHistory(key);
  if (!history) return null;
  return { session: fields, state, events, history };
}

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']';
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJson(obj[k])).join(',') + '}';
}

/** A sha-256 over the canonical JSON of a value. */
export function checksum(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}
