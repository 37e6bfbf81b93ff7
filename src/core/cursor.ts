import { ValidationError } from './errors.js';

/**
 * Cursors are opaque to callers: base64url of a small JSON array naming the
 * last item of the page (a keyset position), tagged with what they page over
 * so that a cursor from one listing is refused by another.
 */
export function encodeCursor(kind: string, position: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify([kind, ...position]), 'utf8').toString('base64url');
}

export function decodeCursor(kind: string, cursor: unknown, shape: readonly ('string' | 'number')[]): (string | number)[] {
  const bad = () =>
    new ValidationError('cursor', 'is not a cursor this listing issued', 'Pass back the nextCursor of the previous page unchanged, or omit it to start over.');
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > 4096) throw bad();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(parsed) || parsed[0] !== kind || parsed.length !== shape.length + 1) throw bad();
  const position = parsed.slice(1) as unknown[];
  position.forEach((value, i) => {
    if (typeof value !== shape[i]) throw bad();
  });
  return position as (string | number)[];
}

/** Byte-wise (UTF-8) string order, the order SQLite's BINARY and PostgreSQL's "C" collations use. */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
