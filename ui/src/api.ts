import type { SessionKey, StoreStats } from '../../src/core/types.js';

/** An answer of the API that is not a success, or no answer at all (`status` 0, code `network`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null = null,
  ) {
    super(message);
  }
}

const KEY_ITEM = 'sessiondb.apiKey';
const TENANT_ITEM = 'sessiondb.tenant';

/**
 * The API key and the tenant an admin key acts for. Kept in sessionStorage:
 * asked once per tab, gone when the tab closes, never in localStorage.
 */
export const credentials = {
  key: (): string | null => sessionStorage.getItem(KEY_ITEM),
  setKey(key: string | null): void {
    if (key) sessionStorage.setItem(KEY_ITEM, key);
    else sessionStorage.removeItem(KEY_ITEM);
  },
  tenant: (): string | null => sessionStorage.getItem(TENANT_ITEM),
  setTenant(tenant: string | null): void {
    if (tenant) sessionStorage.setItem(TENANT_ITEM, tenant);
    else sessionStorage.removeItem(TENANT_ITEM);
  },
};

type Query = Record<string, string | number | undefined | null>;

let onUnauthorized: (error: ApiError) => void = () => {};

/** Called when a request is refused for want of a valid key (401), so the console can ask for one. */
export function whenUnauthorized(handler: (error: ApiError) => void): void {
  onUnauthorized = handler;
}

function url(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** Sends one request with the tab's key; resolves with the response of a success, else throws ApiError. */
async function call(method: string, path: string, options: { query?: Query; body?: unknown; key?: string | null; quiet?: boolean } = {}): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const key = options.key !== undefined ? options.key : credentials.key();
  if (key) headers['authorization'] = `Bearer ${key}`;
  const tenant = credentials.tenant();
  if (tenant) headers['x-sessiondb-tenant'] = tenant;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(url(path, options.query), { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'network', 'The sessiondb server did not answer: it may be down or restarting.');
  }
  if (response.ok) return response;
  const requestId = response.headers.get('x-request-id');
  let error: ApiError;
  try {
    const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
    error = new ApiError(response.status, String(body.error?.code ?? `http_${response.status}`), String(body.error?.message ?? response.statusText), requestId);
  } catch {
    error = new ApiError(response.status, `http_${response.status}`, `The server answered ${response.status} ${response.statusText}.`, requestId);
  }
  if (response.status === 401 && options.key === undefined && !options.quiet) onUnauthorized(error);
  throw error;
}

/**
 * `/v1/stats` counts the whole tenant (about 2 s over 1,000,000 sessions on SQLite), so its
 * answer is kept for a while per key and tenant, and dropped by any write the console makes.
 */
const TOTALS_FRESH_MS = 30_000;
let totals: { scope: string; at: number; stats: Promise<StoreStats> } | null = null;

/** Reads started ahead of the component that needs them, each taken once by its `get` within a few seconds. */
const prefetched = new Map<string, { at: number; answer: Promise<unknown> }>();
const PREFETCH_FRESH_MS = 5_000;

export const api = {
  /** The tenant's totals, at most TOTALS_FRESH_MS old (or newer than the console's last write). */
  totals(): Promise<StoreStats> {
    const scope = `${credentials.key() ?? ''}\n${credentials.tenant() ?? ''}`;
    if (!totals || totals.scope !== scope || Date.now() - totals.at > TOTALS_FRESH_MS) {
      const entry = { scope, at: Date.now(), stats: this.get<StoreStats>('/v1/stats') };
      entry.stats.catch(() => totals === entry && (totals = null));
      totals = entry;
    }
    return totals.stats;
  },
  async get<T>(path: string, query?: Query): Promise<T> {
    const fresh = async () => (await (await call('GET', path, { query })).json()) as T;
    const early = prefetched.get(url(path, query));
    prefetched.delete(url(path, query));
    // A prefetched answer that failed (say, before a key was given) is asked for again.
    if (early && Date.now() - early.at < PREFETCH_FRESH_MS) return (early.answer as Promise<T>).catch(fresh);
    return fresh();
  },
  /** Starts a read now that a later `get` of the same URL will take instead of asking again (saves a round trip). */
  prefetch(path: string, query?: Query): void {
    const answer = call('GET', path, { query, quiet: true }).then((r) => r.json() as Promise<unknown>);
    answer.catch(() => {}); // the `get` that takes it sees the error
    prefetched.set(url(path, query), { at: Date.now(), answer });
  },
  /** A read with a key that is not (yet) the tab's: checks a key before keeping it. */
  async getWithKey<T>(path: string, key: string): Promise<T> {
    return (await (await call('GET', path, { key })).json()) as T;
  },
  async send<T>(method: 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T | null> {
    totals = null;
    prefetched.clear();
    const response = await call(method, path, { body });
    return response.status === 204 ? null : ((await response.json()) as T);
  },
  async blob(path: string, query?: Query): Promise<Blob> {
    return (await call('GET', path, { query })).blob();
  },
};

const enc = encodeURIComponent;

/** The API path of a session. */
export function sessionPath(key: SessionKey): string {
  return `/v1/apps/${enc(key.appName)}/users/${enc(key.userId)}/sessions/${enc(key.sessionId)}`;
}
