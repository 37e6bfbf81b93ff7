/**
 * Encryption keys: parsed from `kid:base64key,…`, checked, and held as a key
 * ring in which the first key seals and every key opens. No message here ever
 * holds a key, only its id.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import { ValidationError } from '../core/errors.js';

/** One key as configured: its id (stored beside every value it seals) and 32 bytes, base64. */
export interface EncryptionKey {
  id: string;
  /** 32 bytes (AES-256), as base64 (standard or URL-safe alphabet), or the bytes themselves. */
  key: string | Uint8Array;
}

/** Key ids: short, printable, and free of the separators of the configuration and of sealed values. */
const KEY_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
const KEY_BYTES = 32;
const HINT = 'Give each key as "id:base64" with 32 random bytes, e.g. from: openssl rand -base64 32';

/**
 * What is wrong with one configured key, or null when it is good. Names the
 * key by its id (or its position when the id itself is bad), never by its value.
 */
export function keyProblem(id: unknown, key: unknown, position: number): string | null {
  if (typeof id !== 'string' || !KEY_ID.test(id)) {
    return `key ${position + 1}: its id must be 1-64 letters, digits, "_", "." or "-"`;
  }
  if (typeof key === 'string') {
    const text = key.trim();
    if (!BASE64.test(text)) return `key "${id}" is not base64`;
    const bytes = Buffer.from(text, 'base64').length;
    if (bytes !== KEY_BYTES) return `key "${id}" is ${bytes} bytes once decoded; AES-256 needs ${KEY_BYTES}`;
    return null;
  }
  if (key instanceof Uint8Array) {
    return key.length === KEY_BYTES ? null : `key "${id}" is ${key.length} bytes; AES-256 needs ${KEY_BYTES}`;
  }
  return `key "${id}" must be a base64 string`;
}

/** The first problem of a list of keys (empty, a bad key, an id given twice), or null. */
export function keyListProblem(keys: readonly { id: unknown; key: unknown }[]): string | null {
  if (keys.length === 0) return 'no keys given';
  const seen = new Set<unknown>();
  for (let i = 0; i < keys.length; i++) {
    const problem = keyProblem(keys[i]!.id, keys[i]!.key, i);
    if (problem) return problem;
    if (seen.has(keys[i]!.id)) return `key id "${String(keys[i]!.id)}" appears twice (each id must name one key)`;
    seen.add(keys[i]!.id);
  }
  return null;
}

/**
 * Splits `kid:base64key,kid2:base64key2` (the form of `SESSIONDB_ENCRYPTION_KEYS`)
 * into keys, without judging them (see `keyListProblem`). `field` names the
 * source in errors; an entry without an id is named by its position only.
 */
export function splitKeyList(text: string, field = 'encryption keys'): EncryptionKey[] {
  const entries = text.split(',').map((entry) => entry.trim());
  return entries.map((entry, i) => {
    const colon = entry.indexOf(':');
    if (colon <= 0) throw new ValidationError(field, `entry ${i + 1} is not "id:base64key"`, HINT);
    return { id: entry.slice(0, colon).trim(), key: entry.slice(colon + 1).trim() };
  });
}

/** Parses and checks `kid:base64key,…`: the keys, first one writing. */
export function parseEncryptionKeys(text: string, field = 'encryption keys'): EncryptionKey[] {
  const keys = splitKeyList(text, field);
  checkKeys(keys, field);
  return keys;
}

/** Throws a `ValidationError` on `field` naming the first bad key by its id. */
export function checkKeys(keys: readonly EncryptionKey[], field = 'encryption keys'): void {
  if (!Array.isArray(keys)) throw new ValidationError(field, 'must be a list of { id, key }', HINT);
  const problem = keyListProblem(keys);
  if (problem) throw new ValidationError(field, problem, HINT);
}

/** The configured keys, ready to use: `writer` seals, `get(id)` finds any key that may open. */
export class KeyRing {
  readonly writer: { id: string; key: KeyObject };
  private readonly byId: Map<string, KeyObject>;

  constructor(keys: readonly EncryptionKey[]) {
    checkKeys(keys);
    this.byId = new Map(
      keys.map((k) => [k.id, createSecretKey(typeof k.key === 'string' ? Buffer.from(k.key.trim(), 'base64') : Buffer.from(k.key))]),
    );
    const first = keys[0]!;
    this.writer = { id: first.id, key: this.byId.get(first.id)! };
  }

  get(id: string): KeyObject | undefined {
    return this.byId.get(id);
  }

  /** The key ids, the writer first. */
  get ids(): string[] {
    return [...this.byId.keys()];
  }
}
