import type { FilePage } from '../../../src/core/types.js';
import { api } from '../api.js';
import { ErrorMessage } from '../components/error-message.js';
import { Link } from '../components/link.js';
import { Pager } from '../components/pager.js';
import { TimeText } from '../components/time-text.js';
import { formatBytes } from '../lib/format.js';
import { navigate, paths, type HistoryState } from '../router.js';
import { useLoad } from '../use-load.js';

const PAGE_SIZE = 50;

/** The tenant's file records, newest upload first, with their expiry. */
export function FilesPage({ params, state }: { params: URLSearchParams; state: HistoryState }) {
  const cursor = params.get('cursor');
  const prev = state.prev ?? [];
  const page = useLoad(() => api.get<FilePage>('/v1/files', { cursor, limit: PAGE_SIZE }), [cursor]);
  const now = Date.now();
  return (
    <>
      <div class="page-head">
        <h1 tabIndex={-1}>Files</h1>
        <p class="lede">Records of uploaded files (the bytes live at their URI). A record with an expiry is deleted by the next sweep after it.</p>
      </div>
      {page.error && <ErrorMessage error={page.error} onRetry={page.reload} />}
      {page.data && (
        <>
          {page.data.files.length > 0 && (
            <div class="table-wrap">
              <table>
                <caption class="visually-hidden">File records, newest upload first, page {prev.length + 1}</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Type</th>
                    <th scope="col" class="num">
                      Size
                    </th>
                    <th scope="col">Uploaded</th>
                    <th scope="col">Expires</th>
                    <th scope="col">Session</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.files.map((f) => (
                    <tr key={f.id}>
                      <td class="title-cell">
                        <span>{f.displayName ?? f.name}</span>
                        <span class="sub mono">{f.displayName ? `${f.name} · ${f.id}` : f.id}</span>
                        {/* The URI is shown as text, never made a link: it is whatever a client stored. */}
                        {f.uri && <span class="sub mono">{f.uri}</span>}
                      </td>
                      <td>{f.mimeType ?? <span class="muted">—</span>}</td>
                      <td class="num">{formatBytes(f.size)}</td>
                      <td>
                        <TimeText ms={f.uploadedAt} />
                      </td>
                      <td>
                        {f.expiresAt === null ? (
                          <span class="muted">never</span>
                        ) : (
                          <>
                            <TimeText ms={f.expiresAt} /> {f.expiresAt <= now ? <span class="status status-expired">expired</span> : <span class="sub">(<TimeText ms={f.expiresAt} relative />)</span>}
                          </>
                        )}
                      </td>
                      <td>
                        {f.appName && f.userId && f.sessionId ? (
                          <Link href={paths.session({ appName: f.appName, userId: f.userId, sessionId: f.sessionId })}>{f.sessionId}</Link>
                        ) : (
                          <span class="muted">—</span>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {!page.data.files.length && <p class="empty">No file records.</p>}
          <Pager
            label="Pages of files"
            page={prev.length + 1}
            hasPrevious={prev.length > 0}
            hasNext={page.data.nextCursor !== null}
            onPrevious={() => navigate(paths.files({ cursor: prev[prev.length - 1] || null }), { state: { prev: prev.slice(0, -1) } })}
            onNext={() => navigate(paths.files({ cursor: page.data!.nextCursor }), { state: { prev: [...prev, cursor ?? ''] } })}
          />
        </>
      )}
      {!page.data && page.loading && <p class="loading">Loading files…</p>}
    </>
  );
}
