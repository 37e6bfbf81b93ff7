import { snippetParts } from '../lib/snippet.js';

/** A search snippet: its matched words in `<mark>`, everything as text. */
export function Snippet({ text }: { text: string }) {
  return <>{snippetParts(text).map((p) => (p.match ? <mark>{p.text}</mark> : p.text))}</>;
}
