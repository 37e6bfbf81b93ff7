import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 16 * 512;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOffset = POOL_SIZE;
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * A UUIDv7 (RFC 9562): 48 bits of epoch milliseconds, then random bits.
 * Ids sort by creation time, which keeps B-tree inserts local. Ordering
 * within a session comes from `seq`, never from ids.
 */
export function uuidv7(now: number = Date.now()): string {
  if (poolOffset + 10 > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const r = poolOffset;
  poolOffset += 10;
  const ms = Math.max(0, Math.floor(now));
  const hi = Math.floor(ms / 0x10000);
  const lo = ms % 0x10000;
  const h = (hi >>> 0).toString(16).padStart(8, '0');
  const l = lo.toString(16).padStart(4, '0');
  const b = pool;
  return (
    h +
    '-' +
    l +
    '-' +
    HEX[0x70 | (b[r]! & 0x0f)]! +
    HEX[b[r + 1]!]! +
    '-' +
    HEX[0x80 | (b[r + 2]! & 0x3f)]! +
    HEX[b[r + 3]!]! +
    '-' +
    HEX[b[r + 4]!]! +
    HEX[b[r + 5]!]! +
    HEX[b[r + 6]!]! +
    HEX[b[r + 7]!]! +
    HEX[b[r + 8]!]! +
    HEX[b[r + 9]!]!
  );
}
