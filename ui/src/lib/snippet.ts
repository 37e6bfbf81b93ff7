import { parseSearchQuery, type SearchTree } from '../../../src/core/search/query.js';
import { wordsOf } from '../../../src/core/search/text.js';

/** A piece of a search snippet: plain text, or a word the query matched. */
export interface SnippetPart {
  text: string;
  match: boolean;
}

/** Whether `word` is one the query looks for: a word of a clause, or one starting with a clause's prefix. */
function wanted(tree: SearchTree, word: string): boolean {
  return tree.must.some((c) => c.words.some((w, i) => word === w || (c.prefix && i === c.words.length - 1 && word.startsWith(w))));
}

/** The query's parsed form (core's parser: the words the server matched), or null when it does not parse. */
export function queryTree(q: string): SearchTree | null {
  try {
    return parseSearchQuery('q', q);
  } catch {
    return null;
  }
}

/**
 * Splits a search snippet into text and matched words. The API wraps each
 * matched word in `**` (core's `makeSnippet`); a word is letters and digits,
 * so only `**` around a run without spaces or asterisks can be a match, and
 * with the query at hand only around a word the query looks for: `**bold**`
 * written in the message itself stays text. The parts are rendered as text
 * nodes and `<mark>`s, never parsed as markup.
 */
export function snippetParts(snippet: string, tree: SearchTree | null = null): SnippetPart[] {
  const parts: SnippetPart[] = [];
  const push = (text: string, match: boolean) => {
    const last = parts[parts.length - 1];
    if (last && !last.match && !match) last.text += text;
    else parts.push({ text, match });
  };
  const marked = /\*\*([^*\s]+)\*\*/g;
  let at = 0;
  for (let m = marked.exec(snippet); m; m = marked.exec(snippet)) {
    const word = m[1]!;
    const match = !tree || wordsOf(word).some((w) => wanted(tree, w.norm));
    if (m.index > at) push(snippet.slice(at, m.index), false);
    push(match ? word : m[0], match);
    at = m.index + m[0].length;
  }
  if (at < snippet.length) push(snippet.slice(at), false);
  return parts;
}
