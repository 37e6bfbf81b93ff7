import type { SearchClause, SearchTree } from './query.js';
import type { Word } from './text.js';

/** Where `clause` occurs in `words`: the index of each occurrence's first word. */
export function occurrences(words: readonly Word[], clause: SearchClause): number[] {
  const out: number[] = [];
  const n = clause.words.length;
  for (let i = 0; i + n <= words.length; i++) {
    let ok = true;
    for (let j = 0; j < n && ok; j++) {
      const want = clause.words[j]!;
      const got = words[i + j]!.norm;
      ok = clause.prefix && j === n - 1 ? got.startsWith(want) : got === want;
    }
    if (ok) out.push(i);
  }
  return out;
}

/** How often each `must` clause occurs, or null when the words do not match the tree. */
export function matchTree(words: readonly Word[], tree: SearchTree): number[] | null {
  for (const c of tree.not) if (occurrences(words, c).length > 0) return null;
  const counts: number[] = [];
  for (const c of tree.must) {
    const found = occurrences(words, c).length;
    if (found === 0) return null;
    counts.push(found);
  }
  return counts;
}

const SNIPPET_WORDS = 24;
const MARK = '**';

/**
 * A short excerpt of `text` around the best window of matches, the matched
 * words wrapped in `**`, cut ends shown as `…`, whitespace collapsed. The same
 * function makes every store's snippets, so they do not differ by backend.
 */
export function makeSnippet(text: string, words: readonly Word[], tree: SearchTree): string {
  const hit = new Uint8Array(words.length);
  for (const c of tree.must) for (const at of occurrences(words, c)) for (let j = 0; j < c.words.length; j++) hit[at + j] = 1;
  // The window of SNIPPET_WORDS words holding the most matched words, earliest first.
  let best = 0;
  let bestCount = -1;
  let count = 0;
  for (let i = 0; i < words.length; i++) {
    count += hit[i]!;
    if (i >= SNIPPET_WORDS) count -= hit[i - SNIPPET_WORDS]!;
    const start = Math.max(0, i - SNIPPET_WORDS + 1);
    if (count > bestCount) {
      bestCount = count;
      best = start;
    }
  }
  if (words.length === 0) return squash(text.slice(0, 200));
  // Start a little before the first match of the window, so it has context.
  let first = best;
  while (first < words.length - 1 && !hit[first]) first++;
  const from = Math.max(0, Math.min(best, first - 4));
  const to = Math.min(words.length, from + SNIPPET_WORDS);
  let out = from > 0 ? '…' : '';
  let pos = words[from]!.start;
  for (let i = from; i < to; i++) {
    const w = words[i]!;
    if (w.start < pos) continue; // a second piece of one written word (see wordsOf)
    out += text.slice(pos, w.start);
    out += hit[i] ? MARK + text.slice(w.start, w.end) + MARK : text.slice(w.start, w.end);
    pos = w.end;
  }
  if (to < words.length) out += '…';
  else out += text.slice(pos, Math.min(text.length, pos + 40));
  return squash(out);
}

function squash(s: string): string {
  return s.replace(/\s+/gu, ' ').trim();
}
