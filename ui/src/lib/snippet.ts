/** A piece of a search snippet: plain text, or a word the query matched. */
export interface SnippetPart {
  text: string;
  match: boolean;
}

/**
 * Splits a search snippet into text and matched words. The API wraps each
 * matched word in `**` (core's `makeSnippet`), and a word is letters and
 * digits, so only `**` around a run without spaces or asterisks is a match:
 * a lone `**` in the text itself stays text. The parts are rendered as text
 * nodes and `<mark>`s, never parsed as markup.
 */
export function snippetParts(snippet: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  const marked = /\*\*([^*\s]+)\*\*/g;
  let at = 0;
  for (let m = marked.exec(snippet); m; m = marked.exec(snippet)) {
    if (m.index > at) parts.push({ text: snippet.slice(at, m.index), match: false });
    parts.push({ text: m[1]!, match: true });
    at = m.index + m[0].length;
  }
  if (at < snippet.length) parts.push({ text: snippet.slice(at), match: false });
  return parts;
}
