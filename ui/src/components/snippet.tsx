import type { SearchTree } from '../../../src/core/search/query.js';
import { snippetParts } from '../lib/snippet.js';

/** A search snippet: its matched words in `<mark>`, everything as text. */
export function Snippet({ text, tree }: { text: string; tree: SearchTree | null }) {
  return <>{snippetParts(text, tree).map((p) => (p.match ? <mark>{p.text}</mark> : p.text))}</>;
}
