/** UTF-8 bytes of a text. */
export const byteLength = (text: string): number => Buffer.byteLength(text, 'utf8');

/** UTF-8 bytes of a result: its text plus its structured content as JSON. */
export const resultBytes = (text: string, structured?: unknown): number => byteLength(text) + (structured === undefined ? 0 : byteLength(JSON.stringify(structured)));

/**
 * The largest `k` in `0..n` whose rendering fits in `max` bytes, for a
 * `size(k)` that grows with `k` (a page of the first `k` items). Binary
 * search: about log2(n) renderings.
 */
export function largestFitting(n: number, max: number, size: (k: number) => number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (size(mid) <= max) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Room kept for the marker `clip` appends. */
const MARKER_ROOM = 200;

/**
 * `text` cut to at most `max` UTF-8 bytes at a character boundary, ending in
 * a marker that says it was cut and how long it was; `text` itself when it fits.
 */
export function clip(text: string, max: number): string {
  const total = byteLength(text);
  if (total <= max) return text;
  let head = Buffer.from(text, 'utf8').subarray(0, Math.max(0, max - MARKER_ROOM)).toString('utf8');
  if (head.endsWith('\uFFFD')) head = head.slice(0, -1); // a character cut in two
  return `${head}\n\n[… cut: ${total.toLocaleString('en-US')} bytes in all, over what one MCP result may hold]`;
}

/** `text` shortened to `max` characters with an ellipsis. */
export function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
