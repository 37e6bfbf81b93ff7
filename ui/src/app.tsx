import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, credentials, sessionPath, whenUnauthorized } from './api.js';
import { ErrorMessage } from './components/error-message.js';
import { KeyPrompt } from './components/key-prompt.js';
import { Link } from './components/link.js';
import { FilesPage } from './pages/files.js';
import { SearchPage } from './pages/search.js';
import { SessionPage } from './pages/session.js';
import { listQuery, SessionsPage } from './pages/sessions.js';
import { firstPageQuery } from './components/transcript.js';
import { navigate, parseRoute, paths, useLocation, type Route } from './router.js';

/** What `GET /v1/info` answers. */
export interface Info {
  store: string;
  tenant: string;
  admin: boolean;
}

type Boot = { phase: 'loading' } | { phase: 'key'; reason: ApiError | null } | { phase: 'down'; error: ApiError } | { phase: 'ready'; info: Info };

/** The console: asks for a key when the server wants one, then the page the URL names. */
export function App() {
  const [boot, setBoot] = useState<Boot>({ phase: 'loading' });
  const start = () => {
    setBoot({ phase: 'loading' });
    prefetchPage(parseRoute(location.pathname, location.search));
    api.get<Info>('/v1/info').then(
      (info) => setBoot({ phase: 'ready', info }),
      (error: ApiError) => setBoot(error.status === 401 ? { phase: 'key', reason: error } : { phase: 'down', error }),
    );
  };
  useEffect(() => {
    whenUnauthorized((error) => setBoot({ phase: 'key', reason: error }));
    start();
  }, []);

  if (boot.phase === 'loading') return <p class="loading boot">Connecting to sessiondb…</p>;
  if (boot.phase === 'key') return <KeyPrompt reason={boot.reason} onAccepted={(info) => setBoot({ phase: 'ready', info })} />;
  if (boot.phase === 'down') {
    return (
      <main id="main" class="key-page">
        <h1>sessiondb</h1>
        <ErrorMessage error={boot.error} onRetry={start} />
      </main>
    );
  }
  return <Console info={boot.info} onTenant={(info) => setBoot({ phase: 'ready', info })} onForget={() => setBoot({ phase: 'key', reason: null })} />;
}

/**
 * Asks for the data of the page being opened while `/v1/info` says who the caller is, rather
 * than after: one round trip less before the first rows. Without a valid key both are refused,
 * and the prefetched answers are dropped unused.
 */
function prefetchPage(route: Route): void {
  if (route.page === 'sessions') api.prefetch('/v1/sessions', listQuery(route.params));
  if (route.page === 'session') {
    const path = sessionPath(route.key);
    api.prefetch(path, { events: 'none' });
    api.prefetch(`${path}/events`, firstPageQuery(route.seq, null));
  }
}

function Console({ info, onTenant, onForget }: { info: Info; onTenant: (info: Info) => void; onForget: () => void }) {
  const loc = useLocation();
  const route = parseRoute(loc.pathname, loc.search);
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);

  // A new page moves focus to its heading, as a page load would put it at the top.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if (route.page === 'session' && route.seq) return; // the transcript focuses the event it opens at
    window.scrollTo(0, 0);
    main.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [loc.pathname, loc.search]);

  useEffect(() => {
    document.title = `${titleOf(route)} · sessiondb`;
  }, [loc.pathname, loc.search]);

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <div class="brand">
          <Link href={paths.sessions()}>sessiondb</Link>
        </div>
        <nav aria-label="Main">
          <Link href={paths.sessions()} aria-current={route.page === 'sessions' || route.page === 'session' ? 'page' : undefined}>
            Sessions
          </Link>
          <Link href={paths.files()} aria-current={route.page === 'files' ? 'page' : undefined}>
            Files
          </Link>
          <a href="/docs">API reference</a>
        </nav>
        <SearchBox initial={route.page === 'search' ? (route.params.get('q') ?? '') : ''} />
        <div class="who">
          {info.admin ? <TenantPicker info={info} onTenant={onTenant} /> : <span class="tenant-name">Tenant: {info.tenant}</span>}
          {credentials.key() && (
            <button
              type="button"
              class="button small"
              onClick={() => {
                credentials.setKey(null);
                credentials.setTenant(null);
                onForget();
              }}
            >
              Forget key
            </button>
          )}
        </div>
      </header>
      <div class="notice-region" role="status">
        {loc.state.notice && <p class="notice">{loc.state.notice}</p>}
      </div>
      <main id="main" ref={main} tabIndex={-1} key={info.tenant}>
        <Page route={route} serial={loc.serial} state={loc.state} />
      </main>
      <footer class="foot">
        <span>
          {info.store} store · tenant {info.tenant}
        </span>
      </footer>
    </>
  );
}

function Page({ route, serial, state }: { route: Route; serial: number; state: ReturnType<typeof useLocation>['state'] }) {
  switch (route.page) {
    case 'sessions':
      return <SessionsPage params={route.params} state={state} />;
    case 'search':
      return <SearchPage params={route.params} state={state} />;
    case 'session':
      return <SessionPage sessionKey={route.key} seq={route.seq} serial={serial} />;
    case 'files':
      return <FilesPage params={route.params} state={state} />;
    case 'not-found':
      return (
        <>
          <h1 tabIndex={-1}>No such page</h1>
          <p>
            Nothing is at {route.path}. <Link href={paths.sessions()}>See the sessions.</Link>
          </p>
        </>
      );
  }
}

function titleOf(route: Route): string {
  switch (route.page) {
    case 'sessions':
      return 'Sessions';
    case 'search':
      return `Search: ${route.params.get('q') ?? ''}`;
    case 'session':
      return `Session ${route.key.sessionId}`;
    case 'files':
      return 'Files';
    case 'not-found':
      return 'Not found';
  }
}

function SearchBox({ initial }: { initial: string }) {
  const [q, setQ] = useState(initial);
  useEffect(() => setQ(initial), [initial]);
  return (
    <form
      class="search"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        if (q.trim()) navigate(paths.search({ q: q.trim() }));
      }}
    >
      <label for="search-q" class="visually-hidden">
        Search every conversation
      </label>
      <input id="search-q" type="search" name="q" value={q} onInput={(e) => setQ(e.currentTarget.value)} placeholder="Search conversations" autoComplete="off" />
      <button type="submit" class="button">
        Search
      </button>
    </form>
  );
}

/** An admin key (or a keyless server) may act for any tenant: sent as X-Sessiondb-Tenant. */
function TenantPicker({ info, onTenant }: { info: Info; onTenant: (info: Info) => void }) {
  const [value, setValue] = useState(info.tenant);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setValue(info.tenant), [info.tenant]);
  return (
    <form
      class="tenant"
      onSubmit={(e) => {
        e.preventDefault();
        const before = credentials.tenant();
        credentials.setTenant(value.trim() || null);
        api.get<Info>('/v1/info').then(
          (next) => {
            setError(null);
            onTenant(next);
            navigate(paths.sessions(), { state: { notice: `Now acting for tenant ${next.tenant}.` } });
          },
          (err: ApiError) => {
            credentials.setTenant(before);
            setError(err.message);
          },
        );
      }}
    >
      <label for="tenant-name">Tenant</label>
      <input id="tenant-name" value={value} onInput={(e) => setValue(e.currentTarget.value)} size={12} autoComplete="off" aria-describedby={error ? 'tenant-error' : undefined} />
      <button type="submit" class="button small">
        Switch
      </button>
      {error && (
        <span id="tenant-error" class="field-error" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}
