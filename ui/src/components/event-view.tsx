import type { SessionEvent } from '../../../src/core/types.js';
import { ContentView } from './content-view.js';
import { JsonView } from './json-view.js';
import { StateTable } from './state-table.js';
import { TimeText } from './time-text.js';

const ROLE: Record<string, string> = { user: 'User', assistant: 'Assistant', system: 'System', tool: 'Tool' };

/** One event of a transcript: who, when, the content, its state delta, and what can be done from it. */
export function EventView(props: { event: SessionEvent; target: boolean; isLast: boolean; onFork: (seq: number) => void; onRewind: (seq: number) => void }) {
  const e = props.event;
  const delta = e.stateDelta && Object.keys(e.stateDelta).length ? e.stateDelta : null;
  const meta = e.metadata && Object.keys(e.metadata).length ? e.metadata : null;
  return (
    <article id={`event-${e.seq}`} class={`event role-${e.role ?? 'none'}${props.target ? ' target' : ''}`} aria-labelledby={`event-${e.seq}-head`} tabIndex={-1}>
      <header class="event-head">
        <h3 id={`event-${e.seq}-head`}>
          <span class="seq">#{e.seq}</span> <span class="role">{e.role ? ROLE[e.role] : e.author}</span>
          {e.role && <span class="author"> · {e.author}</span>}
          {props.target && <span class="visually-hidden"> (the matching event)</span>}
        </h3>
        <TimeText ms={e.timestamp} seconds />
        <div class="event-actions">
          <button type="button" class="button small" onClick={() => props.onFork(e.seq)}>
            Fork here<span class="visually-hidden"> (event #{e.seq})</span>
          </button>
          {!props.isLast && (
            <button type="button" class="button small" onClick={() => props.onRewind(e.seq)}>
              Rewind here<span class="visually-hidden"> (event #{e.seq})</span>
            </button>
          )}
        </div>
      </header>
      <ContentView content={e.content} />
      {delta && (
        <section class="delta" aria-label={`State delta of event #${e.seq}`}>
          <h4>State delta</h4>
          <StateTable state={delta} caption={`State keys event #${e.seq} set`} compact />
        </section>
      )}
      {(meta || e.invocationId) && (
        <details class="event-meta">
          <summary>Event details</summary>
          <dl class="pairs">
            <dt>Id</dt>
            <dd class="mono">{e.id}</dd>
            {e.invocationId && (
              <>
                <dt>Invocation</dt>
                <dd class="mono">{e.invocationId}</dd>
              </>
            )}
          </dl>
          {meta && <JsonView value={meta} label={`Metadata of event #${e.seq}`} />}
        </details>
      )}
    </article>
  );
}
