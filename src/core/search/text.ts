/**
 * What a search sees of an event: the text of its content, reduced to
 * normalized words. Decided once here, so that every store indexes, matches
 * and highlights the same words.
 */

/** One word of a text: its normalized form and where it stands in the original text. */
export interface Word {
  /** Lower case, compatibility-decomposed, combining marks removed ("Café" → "cafe"). */
  norm: string;
  start: number;
  end: number;
}

// Letters, digits and combining marks. Everything else separates words.
const WORD = /[\p{L}\p{N}\p{M}]+/gu;
const MARKS = /\p{M}+/gu;
// eslint-disable-next-line no-control-regex
const ASCII = /^[\u0000-\u007f]*$/;
/** Words longer than this are cut: no database indexes them whole, and nobody types them. */
export const MAX_WORD_LENGTH = 64;

/** The normalized form of one word, or '' when nothing of it is searchable. */
export function normalizeWord(word: string): string {
  // ASCII needs no decomposition (most words of most chats): 4x faster for scan searches.
  if (ASCII.test(word)) return word.toLowerCase().slice(0, MAX_WORD_LENGTH);
  return word.normalize('NFKD').replace(MARKS, '').toLowerCase().normalize('NFC').slice(0, MAX_WORD_LENGTH);
}

/** The words of a text, in order, with their positions. */
export function wordsOf(text: string): Word[] {
  const out: Word[] = [];
  for (const m of text.matchAll(WORD)) {
    const norm = normalizeWord(m[0]);
    // A normalized word can still hold characters the separators above split on
    // (NFKD turns "①" into "1", "ﬁ" into "fi"): split it again.
    for (const piece of norm.match(WORD) ?? []) out.push({ norm: piece, start: m.index, end: m.index + m[0].length });
  }
  return out;
}

/** Keys whose string values are text a person or a model wrote, or the name of a tool. */
const TEXT_KEYS = new Set(['text', 'content', 'name', 'toolName', 'tool_name', 'title', 'refusal', 'reasoning', 'summary', 'transcript']);
/** Keys that hold bytes or machine payloads, never searched. */
const SKIPPED_KEYS = new Set(['inlineData', 'inline_data', 'data', 'image', 'image_url', 'file_data', 'fileData', 'bytes', 'b64_json', 'signature', 'thoughtSignature', 'id', 'type']);

/**
 * The searchable text of an event's content: a string as it is; for
 * structured content (ADK `parts`, OpenAI items, AI SDK parts …) the strings
 * under text-like keys (`text`, `content`, `name`, `toolName` …) and the
 * strings of string arrays, depth first, one per line. Tool arguments and
 * results are not searched unless they are text under such a key.
 */
export function searchableText(content: unknown): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  const out: string[] = [];
  const walk = (value: unknown, textual: boolean, depth: number): void => {
    if (depth > 32) return;
    if (typeof value === 'string') {
      if (textual && value.length > 0) out.push(value);
    } else if (Array.isArray(value)) {
      for (const item of value) walk(item, textual, depth + 1);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (SKIPPED_KEYS.has(key)) continue;
        walk(child, TEXT_KEYS.has(key), depth + 1);
      }
    }
  };
  walk(content, Array.isArray(content), 0);
  return out.join('\n');
}

/** The title of a session, where the conventions keep it: `metadata.title`. */
export function sessionTitle(metadata: Record<string, unknown> | null | undefined): string {
  const title = metadata?.['title'];
  return typeof title === 'string' ? title : '';
}

/**
 * The text a store's full-text index stores for a document: its normalized
 * words joined by single spaces. Any tokenizer that splits on spaces (FTS5's
 * unicode61, PostgreSQL's parser with the `simple` configuration) then sees
 * exactly the words `wordsOf` sees, so every store matches the same words.
 * Capped at `maxWords` (PostgreSQL's tsvector holds at most 1 MiB).
 */
export function indexText(text: string, maxWords = 100_000): string {
  if (!text) return '';
  const words = wordsOf(text);
  const n = Math.min(words.length, maxWords);
  let out = '';
  for (let i = 0; i < n; i++) out += (i ? ' ' : '') + words[i]!.norm;
  return out;
}
