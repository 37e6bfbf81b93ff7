import { useEffect, useState } from 'preact/hooks';
import type { SessionKey } from '../../src/core/types.js';

/** Where the console is, from its URL under /ui/. */
export type Route =
  | { page: 'sessions'; params: URLSearchParams }
  | { page: 'search'; params: URLSearchParams }
  | { page: 'session'; key: SessionKey; seq: number | null }
  | { page: 'files'; params: URLSearchParams }
  | { page: 'not-found'; path: string };

export const BASE = '/ui/';
const enc = encodeURIComponent;

function withQuery(path: string, params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const qs = q.toString();
  return qs ? `${path}?${qs}` : path;
}

/** Console URLs, built in one place. */
export const paths = {
  sessions: (params: Record<string, string | null | undefined> = {}) => withQuery(BASE, params),
  search: (params: Record<string, string | null | undefined>) => withQuery(`${BASE}search`, params),
  session: (key: SessionKey, seq?: number | null) => withQuery(`${BASE}sessions/${enc(key.appName)}/${enc(key.userId)}/${enc(key.sessionId)}`, { seq }),
  files: (params: Record<string, string | null | undefined> = {}) => withQuery(`${BASE}files`, params),
};

export function parseRoute(pathname: string, search: string): Route {
  const params = new URLSearchParams(search);
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname.replace(/^\/ui$/, '');
  if (rest === '') return { page: 'sessions', params };
  if (rest === 'search') return { page: 'search', params };
  if (rest === 'files') return { page: 'files', params };
  const m = /^sessions\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(rest);
  if (m) {
    try {
      const seq = Number(params.get('seq'));
      return {
        page: 'session',
        key: { appName: decodeURIComponent(m[1]!), userId: decodeURIComponent(m[2]!), sessionId: decodeURIComponent(m[3]!) },
        seq: params.has('seq') && Number.isSafeInteger(seq) && seq > 0 ? seq : null,
      };
    } catch {
      // a malformed escape: not a page
    }
  }
  return { page: 'not-found', path: pathname };
}

/** What a history entry carries besides its URL. */
export interface HistoryState {
  /** The cursors of the pages before this one (a listing's "Previous"). */
  prev?: string[];
  /** A message to show once on arrival (after a delete, a fork). */
  notice?: string;
}

const CHANGE = 'sessiondb:navigate';

/** Goes to a console URL without reloading the page. */
export function navigate(href: string, options: { replace?: boolean; state?: HistoryState } = {}): void {
  const state = options.state ?? {};
  if (options.replace) history.replaceState(state, '', href);
  else history.pushState(state, '', href);
  dispatchEvent(new Event(CHANGE));
}

export interface Location {
  pathname: string;
  search: string;
  state: HistoryState;
  /** Bumped on every navigation, also to the same URL. */
  serial: number;
}

let serial = 0;
const current = (): Location => ({ pathname: location.pathname, search: location.search, state: (history.state ?? {}) as HistoryState, serial });

/** The current location; re-renders on navigation and on back/forward. */
export function useLocation(): Location {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const update = () => {
      serial++;
      setLoc(current());
    };
    addEventListener('popstate', update);
    addEventListener(CHANGE, update);
    return () => {
      removeEventListener('popstate', update);
      removeEventListener(CHANGE, update);
    };
  }, []);
  return loc;
}

/** Whether a click should be left to the browser (new tab, download, modifier keys). */
export function isPlainClick(e: MouseEvent): boolean {
  return e.button === 0 && !e.metaKey && !e.ctrlKey && !e.shiftKey && !e.altKey && !e.defaultPrevented;
}
