import { useEffect, useRef, useState } from 'preact/hooks';
import type { EventPage, SessionEvent, SessionKey } from '../../../src/core/types.js';
import { api, sessionPath, type ApiError } from '../api.js';
import { markRendered } from '../marks.js';
import { ErrorMessage } from './error-message.js';
import { EventView } from './event-view.js';

/** Events per request; a session of any length opens with one such page. */
export const EVENT_PAGE = 50;
/** Events shown before the one a link points at. */
const CONTEXT_BEFORE = 10;

/** The first page's query: from the start, or a little before the event the page opens at. */
export function firstPageQuery(focusSeq: number | null, eventCount: number | null): { afterSeq: number; limit: number } {
  const at = focusSeq === null ? 0 : eventCount === null ? focusSeq : Math.min(focusSeq, eventCount);
  return { afterSeq: at ? Math.max(0, at - 1 - CONTEXT_BEFORE) : 0, limit: EVENT_PAGE };
}

/**
 * The transcript, loaded a page at a time around where it opens (the start,
 * or the event `focusSeq`), with buttons for the events before and after.
 */
export function Transcript(props: {
  sessionKey: SessionKey;
  eventCount: number;
  focusSeq: number | null;
  onFork: (seq: number) => void;
  onRewind: (seq: number) => void;
}) {
  const path = `${sessionPath(props.sessionKey)}/events`;
  const [events, setEvents] = useState<SessionEvent[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState<'before' | 'after' | null>(null);
  const [attempt, setAttempt] = useState(0);
  const scrolled = useRef(false);

  useEffect(() => {
    let live = true;
    scrolled.current = false;
    setError(null);
    api.get<EventPage>(path, firstPageQuery(props.focusSeq, props.eventCount)).then(
      (page) => live && setEvents(page.events),
      (err: ApiError) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [path, props.focusSeq, props.eventCount, attempt]);

  useEffect(() => {
    if (!events) return;
    markRendered('sessiondb:session-rendered');
    if (props.focusSeq && !scrolled.current) {
      scrolled.current = true;
      const el = document.getElementById(`event-${props.focusSeq}`);
      if (el) {
        el.scrollIntoView({ block: 'center' });
        el.focus({ preventScroll: true });
      }
    }
  }, [events]);

  const more = async (where: 'before' | 'after') => {
    if (!events?.length || busy) return;
    setBusy(where);
    try {
      if (where === 'before') {
        const page = await api.get<EventPage>(path, { beforeSeq: events[0]!.seq, order: 'desc', limit: EVENT_PAGE });
        setEvents([...page.events.reverse(), ...events]);
      } else {
        const page = await api.get<EventPage>(path, { afterSeq: events[events.length - 1]!.seq, limit: EVENT_PAGE });
        setEvents([...events, ...page.events]);
      }
      setError(null);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(null);
    }
  };

  if (error && !events) return <ErrorMessage error={error} onRetry={() => setAttempt((a) => a + 1)} />;
  if (!events) return <p class="loading">Loading events…</p>;
  if (!events.length) return <p class="empty">No events.</p>;
  const first = events[0]!.seq;
  const last = events[events.length - 1]!.seq;
  return (
    <div class="transcript">
      <p class="range" aria-live="polite">
        Showing events #{first}–#{last} of {props.eventCount}
      </p>
      {first > 1 && (
        <button type="button" class="button more" onClick={() => void more('before')} aria-disabled={busy !== null ? true : undefined}>
          {busy === 'before' ? 'Loading…' : `Show ${Math.min(EVENT_PAGE, first - 1)} earlier events`}
        </button>
      )}
      <ol class="events">
        {events.map((e) => (
          <li key={e.seq}>
            <EventView event={e} target={e.seq === props.focusSeq} isLast={e.seq === props.eventCount} onFork={props.onFork} onRewind={props.onRewind} />
          </li>
        ))}
      </ol>
      {error && <ErrorMessage error={error} />}
      {last < props.eventCount && (
        <button type="button" class="button more" onClick={() => void more('after')} aria-disabled={busy !== null ? true : undefined}>
          {busy === 'after' ? 'Loading…' : `Show ${Math.min(EVENT_PAGE, props.eventCount - last)} later events`}
        </button>
      )}
    </div>
  );
}
