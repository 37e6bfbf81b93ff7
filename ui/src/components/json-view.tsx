import { prettyJson } from '../lib/format.js';

/** A JSON value, pretty-printed as text (never parsed as markup). */
export function JsonView({ value, label }: { value: unknown; label?: string }) {
  return (
    <pre class="json" aria-label={label}>
      <code>{prettyJson(value)}</code>
    </pre>
  );
}
