/**
 * One value sealed with AES-256-GCM, as stored: `{ "$sealed": "sdb:v1:<key id>:<base64>" }`,
 * the base64 holding a random 96-bit IV, the ciphertext and the 128-bit tag.
 * What is encrypted is `j` and the value's JSON text, or `s` and a string as it
 * is (so that sealed content is bounded by the content's own bytes, which JSON
 * escapes would not be). The additional authenticated data is where the value
 * lives (its `Place`), so a value copied to another record or field fails to open.
 *
 * An object rather than a bare string, so that the stores' checks hold (metadata
 * must be an object; any JSON may be content or a state value) and their search
 * indexes see no text in it (`$sealed` is not a text-like key).
 */
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { isPlainObject } from '../core/json.js';
import { SealedValueError } from './errors.js';
import type { KeyRing } from './keys.js';

export const SEALED_FIELD = '$sealed';
const PREFIX = 'sdb:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A sealed value as stored. */
export type SealedValue = { $sealed: string };

/** Where a value lives: what its seal is bound to, and how errors name it. */
export interface Place {
  /** The additional authenticated data (JSON text of the record's key and the field). */
  aad: string;
  /**
   * The record and field in words (`the content of event 3 (id "e1") of session
   * default/app/user/s1`) and machine-readable, for errors; built only when one is thrown.
   */
  describe(): { what: string; details: Record<string, unknown> };
}

/** True for a stored `{ "$sealed": "sdb:v1:…" }`. */
export function isSealed(value: unknown): value is SealedValue {
  if (!isPlainObject(value)) return false;
  const sealed = value[SEALED_FIELD];
  if (typeof sealed !== 'string' || !sealed.startsWith(PREFIX)) return false;
  for (const key in value) if (key !== SEALED_FIELD) return false;
  return true;
}

/** The id of the key that sealed `value`. */
export function keyIdOf(value: SealedValue): string {
  const end = value.$sealed.indexOf(':', PREFIX.length);
  return end < 0 ? '' : value.$sealed.slice(PREFIX.length, end);
}

// IVs come from a pool refilled in bulk: one call to the system's generator per 512 values.
const POOL_SIZE = IV_BYTES * 512;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOffset = POOL_SIZE;

function freshIv(): Buffer {
  if (poolOffset + IV_BYTES > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const iv = Buffer.from(pool.subarray(poolOffset, poolOffset + IV_BYTES));
  poolOffset += IV_BYTES;
  return iv;
}

/** Seals and opens values with a key ring: the ring's writer seals, any of its keys opens. */
export class Sealer {
  constructor(readonly ring: KeyRing) {}

  /** Seals a value given as its JSON text. */
  sealJson(json: string, place: Place): SealedValue {
    return this.seal('j' + json, place);
  }

  /** Seals any JSON value (a string as it is). */
  sealValue(value: unknown, place: Place): SealedValue {
    return typeof value === 'string' ? this.seal('s' + value, place) : this.seal('j' + JSON.stringify(value), place);
  }

  /** Opens a sealed value found at `place`; throws `SealedValueError` rather than return anything else. */
  openValue(value: SealedValue, place: Place): unknown {
    const payload = this.open(value, place);
    if (payload.startsWith('s')) return payload.slice(1);
    if (payload.startsWith('j')) return JSON.parse(payload.slice(1)) as unknown;
    throw new SealedValueError(place, 'its sealed form is malformed', { keyId: keyIdOf(value) });
  }

  /** Seals `payload` for `place` with the writing key. */
  private seal(payload: string, place: Place): SealedValue {
    const { id, key } = this.ring.writer;
    const iv = freshIv();
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(place.aad, 'utf8'));
    const body = Buffer.concat([iv, cipher.update(payload, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return { $sealed: `${PREFIX}${id}:${body.toString('base64')}` };
  }

  private open(value: SealedValue, place: Place): string {
    const text = value.$sealed;
    const end = text.indexOf(':', PREFIX.length);
    const keyId = end < 0 ? '' : text.slice(PREFIX.length, end);
    const fail = (problem: string): never => {
      throw new SealedValueError(place, problem, { keyId });
    };
    if (end < 0) fail('its sealed form is malformed');
    const key = this.ring.get(keyId) ?? fail(`it was sealed with key id "${keyId}", which is not configured`);
    const body = Buffer.from(text.slice(end + 1), 'base64');
    if (body.length < IV_BYTES + TAG_BYTES) fail('its sealed form is truncated');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(place.aad, 'utf8'));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return decipher.update(body.subarray(IV_BYTES, body.length - TAG_BYTES), undefined, 'utf8') + decipher.final('utf8');
    } catch {
      return fail(`authentication failed with key id "${keyId}" (the value was altered, moved from another record, or sealed by another key of that id)`);
    }
  }
}
