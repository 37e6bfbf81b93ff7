import { isPlainObject } from '../core/json.js';
import { SealedValueError } from './errors.js';
import type { ValueMap } from './records.js';
import { isSealed, keyIdOf, type Place, type SealedValue, type Sealer } from './sealer.js';

/**
 * The rules for values in a sealed store: how plaintext is sealed, and what
 * reading a stored value gives — its opened value, or a `SealedValueError`,
 * never the stored form. Empty metadata (`{}`) is never sealed: it says nothing.
 */
export class Codec {
  constructor(
    readonly sealer: Sealer,
    /** Read values stored in plain text (written before encryption was turned on) as they are, instead of refusing them. */
    readonly acceptPlaintext: boolean,
  ) {}

  /** Seals the JSON text of a value for its place. */
  seal(json: string, place: Place): SealedValue {
    return this.sealer.sealJson(json, place);
  }

  /** Seals a metadata object's JSON text, leaving an empty one as `{}`. */
  sealMetadata(json: string, place: Place): SealedValue | Record<string, never> {
    return json === '{}' ? {} : this.sealer.sealJson(json, place);
  }

  /** The value a stored one stands for (see `ValueMap`). */
  readonly open: ValueMap = (stored, place, kind) => {
    if (isSealed(stored)) {
      const value = this.sealer.openValue(stored, place);
      if (kind === 'metadata' && !isPlainObject(value)) throw new SealedValueError(place, 'it does not hold an object');
      return value;
    }
    if (kind === 'metadata' && isEmptyObject(stored)) return {};
    if (this.acceptPlaintext) return stored;
    throw new SealedValueError(place, 'it is stored in plain text, not sealed (set acceptPlaintext to read data written before encryption, then run rekey)');
  };

  /** True when a stored value needs no re-sealing: sealed by the writing key, or empty metadata. */
  isCurrent(stored: unknown, kind: 'value' | 'metadata'): boolean {
    if (kind === 'metadata' && isEmptyObject(stored)) return true;
    return isSealed(stored) && keyIdOf(stored) === this.sealer.ring.writer.id;
  }

  /** For rekey: a stored value sealed again by the writing key (opened first), or as it is when it already is. */
  readonly reseal: ValueMap = (stored, place, kind) => {
    if (this.isCurrent(stored, kind)) return stored;
    const value = this.open(stored, place, kind);
    return kind === 'metadata' ? this.sealMetadata(JSON.stringify(value), place) : this.sealer.sealValue(value, place);
  };
}

function isEmptyObject(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  for (const _ in value) return false;
  return true;
}
