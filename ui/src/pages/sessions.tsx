import { useEffect, useState } from 'preact/hooks';
import type { SessionPage, SessionStatus, StoreStats } from '../../../src/core/types.js';
import { api } from '../api.js';
import { ErrorMessage } from '../components/error-message.js';
import { Link } from '../components/link.js';
import { Pager } from '../components/pager.js';
import { TimeText } from '../components/time-text.js';
import { formatBytes, formatCount } from '../lib/format.js';
import { markRendered } from '../marks.js';
import { navigate, paths, type HistoryState } from '../router.js';
import { useLoad } from '../use-load.js';

const PAGE_SIZE = 50;
const STATUSES: SessionStatus[] = ['active', 'archived', 'expired'];

interface Filters {
  app: string;
  user: string;
  status: string;
  order: 'asc' | 'desc';
}

function filtersOf(params: URLSearchParams): Filters {
  const status = params.get('status') ?? '';
  return {
    app: params.get('app') ?? '',
    user: params.get('user') ?? '',
    status: (STATUSES as string[]).includes(status) ? status : '',
    order: params.get('order') === 'asc' ? 'asc' : 'desc',
  };
}

/** The API query of the page of sessions a console URL shows. */
export function listQuery(params: URLSearchParams) {
  const filters = filtersOf(params);
  return { appName: filters.app, userId: filters.user, status: filters.status, order: filters.order, cursor: params.get('cursor'), limit: PAGE_SIZE };
}

function urlOf(filters: Filters, cursor?: string | null): string {
  return paths.sessions({ app: filters.app, user: filters.user, status: filters.status, order: filters.order === 'asc' ? 'asc' : null, cursor });
}

/** The tenant's sessions: filters, one cursor page at a time (never a count of the filtered set), and the tenant's totals. */
export function SessionsPage({ params, state }: { params: URLSearchParams; state: HistoryState }) {
  const filters = filtersOf(params);
  const cursor = params.get('cursor');
  const prev = state.prev ?? [];
  const page = useLoad(() => api.get<SessionPage>('/v1/sessions', listQuery(params)), [filters.app, filters.user, filters.status, filters.order, cursor]);
  // The totals count the whole tenant (seconds over a million sessions, and SQLite answers one
  // request at a time): asked once the rows are there, so the rows never wait behind them.
  const [wantTotals, setWantTotals] = useState(false);
  useEffect(() => {
    if (page.data || page.error) setWantTotals(true);
  }, [page.data, page.error]);
  const stats = useLoad(() => (wantTotals ? api.totals() : Promise.resolve(null)), [wantTotals]);

  useEffect(() => {
    if (page.data?.sessions.length) markRendered('sessiondb:sessions-rendered');
  }, [page.data]);
  useEffect(() => {
    if (stats.data) markRendered('sessiondb:totals-rendered');
  }, [stats.data]);

  const filtered = filters.app || filters.user || filters.status;
  return (
    <>
      <div class="page-head">
        <h1 tabIndex={-1}>Sessions</h1>
        <Totals stats={stats.data} failed={stats.error !== null} />
      </div>
      <FilterForm filters={filters} />
      {page.error && <ErrorMessage error={page.error} onRetry={page.reload} />}
      {page.data && (
        <>
          {page.data.sessions.length > 0 && (
            <div class="table-wrap" aria-busy={page.loading}>
              <table class="sessions">
                <caption class="visually-hidden">
                  Sessions{filtered ? ' matching the filters' : ''}, {filters.order === 'desc' ? 'most recently updated first' : 'least recently updated first'}, page {prev.length + 1}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Session</th>
                    <th scope="col">App</th>
                    <th scope="col">User</th>
                    <th scope="col">Status</th>
                    <th scope="col">Model</th>
                    <th scope="col" class="num">
                      Events
                    </th>
                    <th scope="col">Last activity</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.sessions.map((s) => {
                    const title = typeof s.metadata['title'] === 'string' && s.metadata['title'].trim() ? s.metadata['title'] : null;
                    return (
                      <tr key={`${s.appName}\u0000${s.userId}\u0000${s.id}`}>
                        <td class="title-cell">
                          <Link href={paths.session({ appName: s.appName, userId: s.userId, sessionId: s.id })}>{title ?? s.id}</Link>
                          {title && <span class="sub mono">{s.id}</span>}
                        </td>
                        <td>{s.appName}</td>
                        <td>{s.userId}</td>
                        <td>
                          <span class={`status status-${s.status}`}>{s.status}</span>
                        </td>
                        <td>{s.model ?? <span class="muted">—</span>}</td>
                        <td class="num">{formatCount(s.eventCount)}</td>
                        <td>
                          <TimeText ms={s.lastActivityAt} relative />
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
          {!page.data.sessions.length && <p class="empty">{filtered ? 'No session matches these filters.' : 'No sessions yet.'}</p>}
          <Pager
            label="Pages of sessions"
            page={prev.length + 1}
            hasPrevious={prev.length > 0}
            hasNext={page.data.nextCursor !== null}
            onPrevious={() => navigate(urlOf(filters, prev[prev.length - 1] || null), { state: { prev: prev.slice(0, -1) } })}
            onNext={() => navigate(urlOf(filters, page.data!.nextCursor), { state: { prev: [...prev, cursor ?? ''] } })}
          />
        </>
      )}
      {!page.data && page.loading && <p class="loading">Loading sessions…</p>}
    </>
  );
}

function Totals({ stats, failed }: { stats: StoreStats | null; failed: boolean }) {
  if (!stats) return <p class="totals muted">{failed ? 'Totals unavailable.' : 'Counting the totals…'}</p>;
  return (
    <dl class="totals" aria-label="Totals of this tenant">
      <div>
        <dt>Sessions</dt>
        <dd>{formatCount(stats.sessions)}</dd>
      </div>
      <div>
        <dt>Active</dt>
        <dd>{formatCount(stats.activeSessions)}</dd>
      </div>
      <div>
        <dt>Archived</dt>
        <dd>{formatCount(stats.archivedSessions)}</dd>
      </div>
      <div>
        <dt>Expired</dt>
        <dd>{formatCount(stats.expiredSessions)}</dd>
      </div>
      <div>
        <dt>Events</dt>
        <dd>{formatCount(stats.events)}</dd>
      </div>
      <div>
        <dt>Files</dt>
        <dd>{formatCount(stats.files)}</dd>
      </div>
      <div>
        <dt>Size</dt>
        <dd>{formatBytes(stats.bytes)}</dd>
      </div>
    </dl>
  );
}

function FilterForm({ filters }: { filters: Filters }) {
  const [draft, setDraft] = useState(filters);
  useEffect(() => setDraft(filters), [filters.app, filters.user, filters.status, filters.order]);
  const set = (field: keyof Filters) => (e: Event) => setDraft({ ...draft, [field]: (e.currentTarget as HTMLInputElement).value });
  return (
    <form
      class="filters"
      aria-label="Filter sessions"
      onSubmit={(e) => {
        e.preventDefault();
        navigate(urlOf({ ...draft, app: draft.app.trim(), user: draft.user.trim() }));
      }}
    >
      <div class="field">
        <label for="filter-app">App</label>
        <input id="filter-app" name="app" value={draft.app} onInput={set('app')} placeholder="any app" autoComplete="off" />
      </div>
      <div class="field">
        <label for="filter-user">User</label>
        <input id="filter-user" name="user" value={draft.user} onInput={set('user')} placeholder="any user" autoComplete="off" />
      </div>
      <div class="field">
        <label for="filter-status">Status</label>
        <select id="filter-status" name="status" value={draft.status} onChange={set('status')}>
          <option value="">any</option>
          {STATUSES.map((s) => (
            <option value={s}>{s}</option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="filter-order">Order</label>
        <select id="filter-order" name="order" value={draft.order} onChange={set('order')}>
          <option value="desc">recently updated first</option>
          <option value="asc">oldest update first</option>
        </select>
      </div>
      <div class="field-actions">
        <button type="submit" class="button primary">
          Apply
        </button>
        {(filters.app || filters.user || filters.status || filters.order !== 'desc') && (
          <button type="button" class="button" onClick={() => navigate(paths.sessions())}>
            Clear
          </button>
        )}
      </div>
    </form>
  );
}
