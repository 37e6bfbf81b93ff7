import { useRef, useState } from 'preact/hooks';
import type { RewindResult, Session, SessionKey } from '../../../src/core/types.js';
import { api, sessionPath, type ApiError } from '../api.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { ErrorMessage } from '../components/error-message.js';
import { JsonView } from '../components/json-view.js';
import { Link } from '../components/link.js';
import { StateTable } from '../components/state-table.js';
import { TimeText } from '../components/time-text.js';
import { firstPageQuery, Transcript } from '../components/transcript.js';
import { downloadName, formatCount } from '../lib/format.js';
import { navigate, paths } from '../router.js';
import { useLoad } from '../use-load.js';

type Dialog = { kind: 'delete' } | { kind: 'rewind'; seq: number } | { kind: 'fork'; seq: number };

const EXPORTS = [
  { format: 'json', label: 'JSON', extension: 'json' },
  { format: 'markdown', label: 'Markdown', extension: 'md' },
  { format: 'text', label: 'text', extension: 'txt' },
] as const;

/** Saves a Blob under a file name, through a temporary link (the API needs the bearer header, so a plain link cannot fetch it). */
function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** One session: its transcript, state, details, and what can be done with it. */
export function SessionPage({ sessionKey, seq, serial }: { sessionKey: SessionKey; seq: number | null; serial: number }) {
  const path = sessionPath(sessionKey);
  const transcriptAsked = useRef(new Set<string>());
  const session = useLoad(() => {
    // The transcript's first page is asked for together with the session (it needs only the key),
    // not after it (on a first visit, the console's start asked for both already).
    if (!transcriptAsked.current.has(`${path}\n${seq}`) && serial > 0) {
      transcriptAsked.current.add(`${path}\n${seq}`);
      api.prefetch(`${path}/events`, firstPageQuery(seq, null));
    }
    return api.get<Session>(path, { events: 'none' });
  }, [path, serial]);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<ApiError | null>(null);
  const [forkId, setForkId] = useState('');
  const here = paths.session(sessionKey, seq);

  const act = async (work: () => Promise<void>) => {
    if (busy) return; // buttons stay enabled (a disabled button would drop the focus): ignore a second press
    setBusy(true);
    setActionError(null);
    try {
      await work();
      setDialog(null);
    } catch (err) {
      setActionError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };

  if (!session.data) {
    return (
      <>
        <div class="page-head">
          <h1 tabIndex={-1}>Session {sessionKey.sessionId}</h1>
        </div>
        {session.error ? <ErrorMessage error={session.error} onRetry={session.reload} /> : <p class="loading">Loading the session…</p>}
      </>
    );
  }
  const s = session.data;
  const title = typeof s.metadata['title'] === 'string' && s.metadata['title'].trim() ? s.metadata['title'] : null;

  const setStatus = (status: 'archived' | 'active') =>
    act(async () => {
      session.set((await api.send<Session>('PATCH', path, { status }))!);
      navigate(here, { replace: true, state: { notice: status === 'archived' ? 'Session archived.' : 'Session restored: it is active again.' } });
    });
  const exportAs = (format: (typeof EXPORTS)[number]) =>
    act(async () => {
      const blob = await api.blob(`${path}/export`, { format: format.format });
      saveBlob(blob, downloadName(s.id, format.extension));
    });

  return (
    <>
      <div class="page-head session-head">
        <p class="crumbs">
          <Link href={paths.sessions()}>Sessions</Link> / <Link href={paths.sessions({ app: s.appName })}>{s.appName}</Link> /{' '}
          <Link href={paths.sessions({ app: s.appName, user: s.userId })}>{s.userId}</Link>
        </p>
        <h1 tabIndex={-1}>{title ?? s.id}</h1>
        <p class="sub">
          <span class="mono">{s.id}</span> <span class={`status status-${s.status}`}>{s.status}</span>
          {s.model && <span class="model">{s.model}</span>}
        </p>
      </div>

      <div class="toolbar" role="group" aria-label="Session actions">
        <span class="toolbar-label" id="export-label">
          Export
        </span>
        {EXPORTS.map((f) => (
          <button type="button" class="button" aria-describedby="export-label" onClick={() => void exportAs(f)} aria-disabled={busy ? true : undefined}>
            {f.label}
          </button>
        ))}
        <span class="toolbar-gap" />
        {s.status === 'active' ? (
          <button type="button" class="button" onClick={() => void setStatus('archived')} aria-disabled={busy ? true : undefined}>
            Archive
          </button>
        ) : (
          <button type="button" class="button" onClick={() => void setStatus('active')} aria-disabled={busy ? true : undefined}>
            Restore
          </button>
        )}
        <button type="button" class="button" onClick={() => setDialog({ kind: 'fork', seq: s.eventCount })} aria-disabled={busy ? true : undefined}>
          Fork
        </button>
        <button type="button" class="button danger" onClick={() => setDialog({ kind: 'delete' })} aria-disabled={busy ? true : undefined}>
          Delete
        </button>
      </div>
      {actionError && !dialog && <ErrorMessage error={actionError} />}

      <div class="session-layout">
        <section class="transcript-section" aria-labelledby="transcript-title">
          <h2 id="transcript-title">Transcript</h2>
          <JumpForm sessionKey={sessionKey} eventCount={s.eventCount} />
          <Transcript
            key={`${s.eventCount}`} // a rewind reloads the transcript; an archive or a restore leaves it (and the focus) alone
            sessionKey={sessionKey}
            eventCount={s.eventCount}
            focusSeq={seq}
            onFork={(n) => setDialog({ kind: 'fork', seq: n })}
            onRewind={(n) => setDialog({ kind: 'rewind', seq: n })}
          />
        </section>
        <aside class="side" aria-label="State and details">
          <section aria-labelledby="state-title">
            <h2 id="state-title">State</h2>
            <p class="hint">
              Merged: <span class="scope scope-app">app</span> keys (every user of {s.appName}), <span class="scope scope-user">user</span> keys (this user's sessions),{' '}
              <span class="scope scope-session">session</span> keys. <code>temp:</code> keys are never stored.
            </p>
            <StateTable state={s.state} caption="Merged state of the session" />
          </section>
          <section aria-labelledby="details-title">
            <h2 id="details-title">Details</h2>
            <dl class="pairs">
              <dt>App</dt>
              <dd>{s.appName}</dd>
              <dt>User</dt>
              <dd>{s.userId}</dd>
              <dt>Tenant</dt>
              <dd>{s.tenant}</dd>
              <dt>Status</dt>
              <dd>{s.status}</dd>
              <dt>Model</dt>
              <dd>{s.model ?? '—'}</dd>
              <dt>Created</dt>
              <dd>
                <TimeText ms={s.createdAt} seconds />
              </dd>
              <dt>Updated</dt>
              <dd>
                <TimeText ms={s.updatedAt} seconds />
              </dd>
              <dt>Last activity</dt>
              <dd>
                <TimeText ms={s.lastActivityAt} seconds />
              </dd>
              <dt>Expires</dt>
              <dd>{s.expiresAt === null ? 'never' : <TimeText ms={s.expiresAt} seconds />}</dd>
              <dt>Events</dt>
              <dd>{formatCount(s.eventCount)}</dd>
              <dt>Requests</dt>
              <dd>
                {formatCount(s.requestCount)}
                {s.requestCount > 0 && <span class="muted"> ({formatCount(Math.round(s.requestMsTotal / s.requestCount))} ms each on average)</span>}
              </dd>
              <dt>Version</dt>
              <dd>{s.version}</dd>
            </dl>
            <h3>Metadata</h3>
            {Object.keys(s.metadata).length ? <JsonView value={s.metadata} label="Metadata" /> : <p class="muted">None.</p>}
          </section>
        </aside>
      </div>

      {dialog?.kind === 'delete' && (
        <ConfirmDialog
          title="Delete this session?"
          confirmLabel="Delete session"
          danger
          busy={busy}
          onCancel={() => setDialog(null)}
          onConfirm={() =>
            void act(async () => {
              await api.send('DELETE', path);
              navigate(paths.sessions(), { state: { notice: `Deleted session ${s.id}.` } });
            })
          }
        >
          <p>
            <strong>{title ?? s.id}</strong> ({s.appName} / {s.userId}) is deleted with its {formatCount(s.eventCount)} events, its own state and its file records. This
            cannot be undone; export it first to keep a copy.
          </p>
          {actionError && <ErrorMessage error={actionError} />}
        </ConfirmDialog>
      )}
      {dialog?.kind === 'rewind' && (
        <ConfirmDialog
          title={`Rewind to event #${dialog.seq}?`}
          confirmLabel="Rewind"
          danger
          busy={busy}
          onCancel={() => setDialog(null)}
          onConfirm={() =>
            void act(async () => {
              const result = (await api.send<RewindResult>('POST', `${path}/rewind`, { toSeq: dialog.seq, expectVersion: s.version }))!;
              const n = result.superseded;
              navigate(paths.session(sessionKey, dialog.seq), {
                replace: true,
                state: { notice: `Rewound to event #${dialog.seq}: ${n} event${n === 1 ? '' : 's'} superseded (kept for audit, no longer in the history).` },
              });
            })
          }
        >
          <p>
            The {formatCount(s.eventCount - dialog.seq)} events after #{dialog.seq} (#{dialog.seq + 1}–#{s.eventCount}) leave the visible history; they are kept as
            superseded events. The session's own state goes back to what it was right after event #{dialog.seq}.
          </p>
          {actionError && <ErrorMessage error={actionError} />}
        </ConfirmDialog>
      )}
      {dialog?.kind === 'fork' && (
        <ConfirmDialog
          title={dialog.seq === s.eventCount ? 'Fork this session?' : `Fork at event #${dialog.seq}?`}
          confirmLabel="Fork"
          busy={busy}
          onCancel={() => setDialog(null)}
          onConfirm={() =>
            void act(async () => {
              const body: { upToSeq: number; newSessionId?: string } = { upToSeq: dialog.seq };
              if (forkId.trim()) body.newSessionId = forkId.trim();
              const fork = (await api.send<Session>('POST', `${path}/fork`, body))!;
              setForkId('');
              navigate(paths.session({ appName: fork.appName, userId: fork.userId, sessionId: fork.id }), {
                state: { notice: `Forked from ${s.id} at event #${dialog.seq}: this is the new session.` },
              });
            })
          }
        >
          <p>
            A new session gets events #1–#{dialog.seq} and the state as it was right after #{dialog.seq}. This session does not change.
          </p>
          <div class="field">
            <label for="fork-id">New session id (optional)</label>
            <input id="fork-id" value={forkId} onInput={(e) => setForkId(e.currentTarget.value)} placeholder="generated" autoComplete="off" />
          </div>
          {actionError && <ErrorMessage error={actionError} />}
        </ConfirmDialog>
      )}
    </>
  );
}

function JumpForm({ sessionKey, eventCount }: { sessionKey: SessionKey; eventCount: number }) {
  const [value, setValue] = useState('');
  if (eventCount <= 50) return null;
  return (
    <form
      class="jump"
      onSubmit={(e) => {
        e.preventDefault();
        const n = Number(value);
        if (Number.isSafeInteger(n) && n >= 1) navigate(paths.session(sessionKey, Math.min(n, eventCount)));
      }}
    >
      <label for="jump-seq">Go to event #</label>
      <input id="jump-seq" type="number" min={1} max={eventCount} value={value} onInput={(e) => setValue(e.currentTarget.value)} />
      <button type="submit" class="button">
        Go
      </button>
    </form>
  );
}
