/**
 * The search query language, which is the user's and not any database's:
 *
 * - words: every word must occur (`refund policy`);
 * - `"quoted phrases"`: the words in this order, next to each other;
 * - `-word` or `-"a phrase"`: must not occur;
 * - `word*`: any word starting with `word` (at least 2 characters).
 *
 * Anything else is text: punctuation separates words, so `get_weather` is the
 * phrase "get weather" and `e-mail` the phrase "e mail", as the index saw them.
 * An unclosed quote runs to the end. `parseSearchQuery` turns any input into a
 * `SearchTree` or a `ValidationError`; each store compiles the tree to its own
 * syntax from normalized words only, so no input reaches a database parser.
 */
import { TooLargeError, ValidationError } from '../errors.js';
import { wordsOf } from './text.js';

/** One thing a document must (or must not) contain: consecutive words, the last one possibly a prefix. */
export interface SearchClause {
  /** Normalized words, in order (one for a plain word). */
  words: string[];
  /** The last word matches any word that starts with it. */
  prefix: boolean;
}

/** A parsed query: a document matches when it holds every `must` clause and no `not` clause. */
export interface SearchTree {
  must: SearchClause[];
  not: SearchClause[];
}

export const MAX_QUERY_LENGTH = 1000;
export const MAX_QUERY_CLAUSES = 16;
const HINT = 'Search for words; "quoted words" make a phrase, -word excludes a word, word* matches words starting with it.';

export function parseSearchQuery(field: string, query: unknown): SearchTree {
  if (typeof query !== 'string') throw new ValidationError(field, `must be a string, got ${query === null ? 'null' : typeof query}`, HINT);
  if (query.length > MAX_QUERY_LENGTH) throw new TooLargeError(field, query.length, MAX_QUERY_LENGTH, 'characters');
  const tree: SearchTree = { must: [], not: [] };
  const add = (raw: string, negated: boolean, prefix: boolean): void => {
    const words = wordsOf(raw).map((w) => w.norm);
    if (words.length === 0) return;
    if (prefix && words[words.length - 1]!.length < 2) {
      throw new ValidationError(field, `the prefix "${raw}*" is too short`, 'A prefix search needs at least 2 characters before the *.');
    }
    const clause: SearchClause = { words, prefix };
    const list = negated ? tree.not : tree.must;
    if (!list.some((c) => c.prefix === prefix && c.words.join(' ') === words.join(' '))) list.push(clause);
  };
  let i = 0;
  const n = query.length;
  while (i < n) {
    const ch = query[i]!;
    if (/\s/u.test(ch)) {
      i++;
      continue;
    }
    let negated = false;
    if (ch === '-' && i + 1 < n && !/\s/u.test(query[i + 1]!)) {
      negated = true;
      i++;
    }
    if (query[i] === '"') {
      const close = query.indexOf('"', i + 1);
      const end = close === -1 ? n : close;
      let body = query.slice(i + 1, end).trimEnd();
      i = end + 1;
      // "a phras"* and "a phras* (a star inside the quotes) both make the last word a prefix.
      let prefix = query[i] === '*';
      if (prefix) i++;
      if (body.endsWith('*')) {
        body = body.replace(/\*+$/u, '');
        prefix = true;
      }
      add(body, negated, prefix && /[\p{L}\p{N}\p{M}]$/u.test(body));
      continue;
    }
    let end = i;
    while (end < n && !/\s/u.test(query[end]!) && query[end] !== '"') end++;
    let token = query.slice(i, end);
    i = end;
    let prefix = false;
    if (token.endsWith('*')) {
      token = token.replace(/\*+$/u, '');
      prefix = /[\p{L}\p{N}\p{M}]$/u.test(token);
    }
    add(token, negated, prefix);
  }
  if (tree.must.length + tree.not.length > MAX_QUERY_CLAUSES) {
    throw new TooLargeError(field, tree.must.length + tree.not.length, MAX_QUERY_CLAUSES, 'words and phrases');
  }
  if (tree.must.length === 0) {
    throw new ValidationError(field, tree.not.length ? 'only excludes words' : 'holds no words to search for', HINT);
  }
  return tree;
}

/** A canonical text of a tree (for cursors and caches): equal trees, equal keys. */
export function treeKey(tree: SearchTree): string {
  const clause = (c: SearchClause) => c.words.join(' ') + (c.prefix ? '*' : '');
  return [...tree.must.map(clause), ...tree.not.map((c) => '-' + clause(c))].join('|');
}
