import { scopedEntries, type StateScope } from '../lib/state.js';
import { prettyJson } from '../lib/format.js';

const SCOPE_TITLE: Record<StateScope, string> = {
  app: 'app: shared by every user of the app',
  user: 'user: shared by the sessions of this user',
  session: 'this session only',
  temp: 'temp: never stored',
};

/** State keys with their scope and value (pretty JSON). */
export function StateTable({ state, caption, compact = false }: { state: Record<string, unknown>; caption: string; compact?: boolean }) {
  const entries = scopedEntries(state);
  if (!entries.length) return <p class="muted">No keys.</p>;
  return (
    <table class={compact ? 'state compact' : 'state'}>
      <caption class="visually-hidden">{caption}</caption>
      <thead class={compact ? 'visually-hidden' : undefined}>
        <tr>
          <th scope="col">Key</th>
          <th scope="col">Scope</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr key={e.key}>
            <th scope="row" class="mono">
              {e.key}
            </th>
            <td>
              <span class={`scope scope-${e.scope}`} title={SCOPE_TITLE[e.scope]}>
                {e.scope}
              </span>
            </td>
            <td>
              <pre class="value">
                <code>{prettyJson(e.value)}</code>
              </pre>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
