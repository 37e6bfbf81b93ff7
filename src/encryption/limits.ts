import { resolveLimits, type Limits } from '../core/limits.js';

/**
 * The most bytes a value of `bytes` (JSON text, or a string's UTF-8) takes
 * once sealed: `{"$sealed":"sdb:v1:<id of up to 64>:<base64 of tag, IV, value, auth tag>"}`.
 */
export function sealedValueBytes(bytes: number): number {
  return 4 * Math.ceil((bytes + 1 + 12 + 16) / 3) + 86;
}

/**
 * The most bytes a JSON object of `bytes` takes once each of its values is
 * sealed: every value grows by a third plus ~130 bytes, and a value takes at
 * least 6 bytes (`"k":1,`), so at most 23 times as many.
 */
export function sealedObjectBytes(bytes: number): number {
  return 23 * bytes + 1024;
}

/**
 * The limits a store underneath an `EncryptedStore` needs so that it never
 * refuses what the wrapper accepted under `limits`: content and JSON limits
 * raised to what sealing can make of them, the others unchanged (names, keys
 * and ids are not sealed). The wrapper checks the plain values against `limits`.
 *
 * @example
 * const store = encryptStore(new SqliteStore({ path, limits: sealedLimits() }), { keys });
 */
export function sealedLimits(limits?: Partial<Limits>): Limits {
  const plain = resolveLimits(limits);
  return {
    ...plain,
    maxEventContentBytes: sealedValueBytes(plain.maxEventContentBytes),
    maxJsonBytes: sealedObjectBytes(plain.maxJsonBytes),
  };
}
