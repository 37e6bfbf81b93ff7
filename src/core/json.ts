import { TooLargeError, ValidationError } from './errors.js';
import type { JsonObject } from './types.js';

/** Bytes of `text` in UTF-8, computed exactly only when the cheap bounds cannot decide. */
export function utf8Length(text: string, limit: number): number {
  if (text.length * 3 <= limit) return text.length; // cannot exceed the limit: exactness not needed
  return Buffer.byteLength(text, 'utf8');
}

/** Throws `TooLargeError` when `text` is over `limit` UTF-8 bytes. */
export function checkBytes(field: string, text: string, limit: number): void {
  if (text.length > limit) throw new TooLargeError(field, Buffer.byteLength(text, 'utf8'), limit, 'bytes');
  const bytes = utf8Length(text, limit);
  if (bytes > limit) throw new TooLargeError(field, bytes, limit, 'bytes');
}

/** `JSON.stringify` that reports unserializable input as a `ValidationError` on `field`. */
export function stringifyJson(field: string, value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new ValidationError(field, `is not JSON-serializable (${(err as Error).message})`, 'Send plain JSON values: strings, numbers, booleans, null, arrays and objects.');
  }
  if (text === undefined) {
    throw new ValidationError(field, `is not JSON-serializable (got ${typeof value})`, 'Send plain JSON values.');
  }
  return text;
}

/** Serializes `value` as JSON and enforces the byte limit and the NUL rule. */
export function toJsonText(field: string, value: unknown, limit: number): string {
  const text = stringifyJson(field, value);
  checkBytes(field, text, limit);
  checkNoNul(field, text);
  return text;
}

/**
 * Refuses JSON text holding U+0000 (which JSON.stringify writes as an escape).
 * PostgreSQL cannot store it in text or jsonb; refusing it in every store keeps
 * data portable between backends.
 */
export function checkNoNul(field: string, json: string): void {
  for (let at = json.indexOf('\\u0000'); at >= 0; at = json.indexOf('\\u0000', at + 1)) {
    let backslashes = 0;
    for (let i = at - 1; i >= 0 && json.charCodeAt(i) === 92; i--) backslashes++;
    if (backslashes % 2 === 0) {
      throw new ValidationError(
        field,
        'contains the character U+0000 (NUL), which sessiondb does not store',
        'Remove it, or encode binary data as base64.',
      );
    }
  }
}

/** True for `{...}` objects (not arrays, not null, not class instances like Date). */
export function isPlainObject(value: unknown): value is JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Throws unless `value` is a plain object. */
export function requirePlainObject(field: string, value: unknown): JsonObject {
  if (!isPlainObject(value)) {
    throw new ValidationError(field, `must be a JSON object, got ${describeType(value)}`);
  }
  return value;
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object of another kind' : typeof value;
}

/**
 * Sets an own enumerable property even when `key` is `__proto__` or
 * `constructor`, so that stored keys can never reach `Object.prototype`.
 */
export function setOwn(target: JsonObject, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** Parses JSON text stored by sessiondb; `null` column → `undefined`. */
export function parseStored(text: string | null | undefined): unknown {
  return text == null ? undefined : JSON.parse(text);
}
