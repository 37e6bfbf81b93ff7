import { ValidationError } from './errors.js';
import { checkBytes, checkNoNul, requirePlainObject, setOwn, stringifyJson } from './json.js';
import type { Limits } from './limits.js';
import type { JsonObject } from './types.js';

/** Keys with this prefix are shared by every session of an app. */
export const APP_PREFIX = 'app:';
/** Keys with this prefix are shared by every session of one user of an app. */
export const USER_PREFIX = 'user:';
/** Keys with this prefix are never stored. */
export const TEMP_PREFIX = 'temp:';

export type StateScope = 'app' | 'user' | 'session' | 'temp';

/** The scope a state key belongs to, by its prefix (ADK's rules). */
export function scopeOf(key: string): StateScope {
  if (key.startsWith(APP_PREFIX)) return 'app';
  if (key.startsWith(USER_PREFIX)) return 'user';
  if (key.startsWith(TEMP_PREFIX)) return 'temp';
  return 'session';
}

/** A state entry ready to store: the full key (prefix kept) and its value as JSON text. */
export type StateEntry = readonly [key: string, json: string];

/** A state delta split by scope, `temp:` keys dropped, values serialized. */
export interface ScopedDelta {
  app: StateEntry[];
  user: StateEntry[];
  session: StateEntry[];
  /** The persisted part of the delta as one JSON object text (for the event row), or null if empty. */
  json: string | null;
  /**
   * Keys to delete, per scope. Only a key update (`splitKeyUpdate`, the store's
   * `updateKeys`) has them: in an event's delta `null` is a value. A key is
   * never both set and deleted by one delta.
   */
  unset?: ScopedKeys;
}

/** State keys (prefix kept) per persisted scope. */
export interface ScopedKeys {
  app: string[];
  user: string[];
  session: string[];
}

/** The keys a delta deletes, per scope (empty lists when it deletes none). */
export function deletionsOf(delta: ScopedDelta | null | undefined): ScopedKeys {
  return delta?.unset ?? { app: [], user: [], session: [] };
}

/** Throws `ValidationError` naming `field` unless `key` may be a state key. */
function checkStateKey(field: string, key: string, limits: Limits): void {
  if (key.length === 0) throw new ValidationError(`${field} key`, 'is empty', 'State keys must be non-empty strings.');
  if (key.length > limits.maxStateKeyLength) {
    throw new ValidationError(`${field}["${key.slice(0, 40)}…"]`, `key is ${key.length} characters, the limit is ${limits.maxStateKeyLength}`);
  }
}

/**
 * Validates and splits a state delta. `undefined` values are skipped (JSON has
 * no undefined); `null` is a value and is stored. Object values replace the
 * stored value whole: there is no deep merge.
 */
export function splitDelta(field: string, delta: unknown, limits: Limits): ScopedDelta | null {
  const obj = requirePlainObject(field, delta);
  const keys = Object.keys(obj);
  if (keys.length === 0) return null;
  const out: ScopedDelta = { app: [], user: [], session: [], json: null };
  let body = '';
  for (const key of keys) {
    const value = obj[key];
    if (value === undefined) continue;
    checkStateKey(field, key, limits);
    const scope = scopeOf(key);
    if (scope === 'temp') continue;
    const json = stringifyJson(`${field}["${key}"]`, value);
    out[scope].push([key, json]);
    body += (body ? ',' : '') + JSON.stringify(key) + ':' + json;
  }
  if (!body) return out.app.length + out.user.length + out.session.length === 0 ? null : out;
  out.json = '{' + body + '}';
  checkBytes(field, out.json, limits.maxJsonBytes);
  checkNoNul(field, out.json);
  return out;
}

/**
 * Validates and splits a key update (`updateKeys`): like `splitDelta`, except
 * that a `null` value deletes the key from its scope (listed in `unset`) instead
 * of storing `null`. `temp:` keys are dropped, `undefined` values skipped, other
 * values replace the stored value whole. Never null: an empty update is still a
 * write (it bumps the session's version).
 */
export function splitKeyUpdate(field: string, delta: unknown, limits: Limits): ScopedDelta {
  const obj = requirePlainObject(field, delta);
  const sets: JsonObject = {};
  const unset: ScopedKeys = { app: [], user: [], session: [] };
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    if (value !== null) {
      if (value !== undefined) setOwn(sets, key, value);
      continue;
    }
    checkStateKey(field, key, limits);
    const scope = scopeOf(key);
    if (scope !== 'temp') unset[scope].push(key);
  }
  const split = splitDelta(field, sets, limits) ?? { app: [], user: [], session: [], json: null };
  return { ...split, unset };
}

/** Builds a state object from stored entries, safely for any key. */
export function entriesToState(entries: Iterable<readonly [string, string]>, into: JsonObject = {}): JsonObject {
  for (const [key, json] of entries) setOwn(into, key, JSON.parse(json));
  return into;
}

/** Returns `state` without its `temp:` keys (a new object). */
export function withoutTemp(state: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(state)) if (scopeOf(key) !== 'temp') setOwn(out, key, state[key]);
  return out;
}
