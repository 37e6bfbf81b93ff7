import { useEffect, useMemo } from 'preact/hooks';
import type { SearchPage as Hits } from '../../../src/core/types.js';
import { api } from '../api.js';
import { ErrorMessage } from '../components/error-message.js';
import { Link } from '../components/link.js';
import { Pager } from '../components/pager.js';
import { Snippet } from '../components/snippet.js';
import { TimeText } from '../components/time-text.js';
import { queryTree } from '../lib/snippet.js';
import { markRendered } from '../marks.js';
import { navigate, paths, type HistoryState } from '../router.js';
import { useLoad } from '../use-load.js';

const PAGE_SIZE = 20;
const ROLE: Record<string, string> = { user: 'User', assistant: 'Assistant', system: 'System', tool: 'Tool' };

/** Full-text search results, best first, each opening its session at the matching event. */
export function SearchPage({ params, state }: { params: URLSearchParams; state: HistoryState }) {
  const q = params.get('q')?.trim() ?? '';
  const cursor = params.get('cursor');
  const prev = state.prev ?? [];
  const tree = useMemo(() => queryTree(q), [q]);
  const result = useLoad(() => (q ? api.get<Hits>('/v1/search', { q, cursor, limit: PAGE_SIZE }) : Promise.resolve(null)), [q, cursor]);

  useEffect(() => {
    if (result.data) markRendered('sessiondb:search-rendered');
  }, [result.data]);

  return (
    <>
      <div class="page-head">
        <h1 tabIndex={-1}>{q ? <>Search results for “{q}”</> : 'Search'}</h1>
      </div>
      {!q && <p class="empty">Type words in the search box above: all of them must occur; "a phrase", -exclude, prefix*.</p>}
      {result.error && <ErrorMessage error={result.error} onRetry={result.reload} />}
      {q && !result.data && result.loading && <p class="loading">Searching…</p>}
      {result.data && (
        <>
          {result.data.hits.length ? (
            <ol class="hits" aria-busy={result.loading} start={prev.length * PAGE_SIZE + 1}>
              {result.data.hits.map((hit) => {
                const key = { appName: hit.appName, userId: hit.userId, sessionId: hit.sessionId };
                const e = hit.event;
                return (
                  <li class="hit">
                    <p class="hit-head">
                      <Link href={paths.session(key, e?.seq ?? null)} class="hit-link">
                        {e ? `${hit.sessionId} · event #${e.seq}` : `${hit.sessionId} · title`}
                      </Link>
                    </p>
                    <p class="hit-meta">
                      <span>{hit.appName}</span>
                      <span>{hit.userId}</span>
                      {e && <span>{e.role ? ROLE[e.role] : e.author}</span>}
                      {e?.role && e.author !== e.role && <span>by {e.author}</span>}
                      {e && <TimeText ms={e.timestamp} />}
                    </p>
                    <p class="snippet">
                      <Snippet text={hit.snippet} tree={tree} />
                    </p>
                  </li>
                );
              })}
            </ol>
          ) : (
            <p class="empty">No conversation matches “{q}”.</p>
          )}
          <Pager
            label="Pages of results"
            page={prev.length + 1}
            hasPrevious={prev.length > 0}
            hasNext={result.data.nextCursor !== null}
            onPrevious={() => navigate(paths.search({ q, cursor: prev[prev.length - 1] || null }), { state: { prev: prev.slice(0, -1) } })}
            onNext={() => navigate(paths.search({ q, cursor: result.data!.nextCursor }), { state: { prev: [...prev, cursor ?? ''] } })}
          />
        </>
      )}
    </>
  );
}
