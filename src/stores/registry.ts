import type { Clock } from '../core/clock.js';
import { ValidationError } from '../core/errors.js';
import type { Limits } from '../core/limits.js';
import type { Logger } from '../core/logger.js';
import type { SessionStore } from '../core/store.js';

/** Options `openStore` passes to whichever store the URL names. */
export interface OpenStoreOptions {
  limits?: Partial<Limits>;
  clock?: Clock;
  logger?: Logger;
  /** Run `migrate()` before returning (default true). */
  migrate?: boolean;
  /** For `http://` and `https://` URLs (a sessiondb server): the API key. Default: the `SESSIONDB_API_KEY` environment variable. */
  apiKey?: string;
  /** For `http://` and `https://` URLs: how long to wait out a server's 429 and 503 answers (see `HttpRetryOptions`), or `false` not to. */
  retry?: { maxDelayMs?: number; budgetMs?: number } | false;
}

/** What a URL names, parsed by its backend: `kind` is the backend's name, the rest its options. */
export interface ParsedLocation {
  kind: string;
}

/**
 * A kind of store that `openStore`, the configuration and the CLI can reach by
 * URL. Ours register themselves; register your own with `registerStoreBackend`.
 */
export interface StoreBackend<L extends ParsedLocation = ParsedLocation> {
  /** The backend's name: the `kind` of its locations and stores, and a value of `STORAGE_BACKEND`. */
  name: string;
  /** Other accepted `STORAGE_BACKEND` values (e.g. `postgresql` for `postgres`). */
  aliases?: readonly string[];
  /** The URL schemes it opens, without the colon, lower case (e.g. `['postgres', 'postgresql']`). */
  schemes: readonly string[];
  /** An example URL, shown when a URL is not understood. */
  example: string;
  /** True for a scheme-less path this backend claims (SQLite claims `*.db`). */
  claimsPath?(path: string): boolean;
  /** Parses a URL of one of its schemes (or a claimed path), without I/O; throws `ValidationError` naming what is wrong. */
  parse(url: string): L;
  /** A store at a parsed location; loads its driver here, never at import. */
  open(location: L, options: OpenStoreOptions): Promise<SessionStore>;
  /** The URL for `STORAGE_BACKEND=<name>` with `STORAGE_CONNECTION_STRING` and/or `STORAGE_DATABASE_PATH`. */
  urlFromSettings?(settings: { connectionString?: string; path?: string }): string;
  /**
   * Whether the database a location names exists, for backends whose opening
   * creates an empty one (a SQLite file, a directory of JSON files). Commands that
   * only read check it first, so that a mistyped path is an error, not a new database.
   */
  exists?(location: L): boolean;
  /** The URL with the configuration's pool bounds added where the URL does not set them. */
  withPool?(url: string, pool: { min?: number; max?: number }): string;
}

const backends: StoreBackend<ParsedLocation>[] = [];

/** Adds a backend (replacing one of the same name). Its schemes must not be taken by another. */
export function registerStoreBackend<L extends ParsedLocation>(backend: StoreBackend<L>): void {
  const others = backends.filter((b) => b.name !== backend.name);
  for (const scheme of backend.schemes) {
    const owner = others.find((b) => b.schemes.includes(scheme));
    if (owner) throw new ValidationError('schemes', `"${scheme}:" is already opened by the "${owner.name}" backend`);
  }
  backends.splice(0, backends.length, ...others, backend as unknown as StoreBackend<ParsedLocation>);
}

/** Every registered backend, by name. */
export function storeBackends(): readonly StoreBackend<ParsedLocation>[] {
  return [...backends].sort((a, b) => a.name.localeCompare(b.name));
}

/** The backend a `STORAGE_BACKEND` value names, or null. */
export function backendNamed(name: string): StoreBackend<ParsedLocation> | null {
  const n = name.toLowerCase();
  return backends.find((b) => b.name === n || b.aliases?.includes(n)) ?? null;
}

/** The backend that opens a URL; throws `ValidationError` listing what is supported. */
export function backendForUrl(url: string): StoreBackend<ParsedLocation> {
  if (typeof url !== 'string' || url.trim() === '') {
    throw new ValidationError('url', 'is empty', `Give a store URL such as ${supported()}.`);
  }
  const text = url.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase();
  const isDrive = /^[a-z]:[\\/]/i.test(text);
  if (scheme && !isDrive) {
    const backend = backends.find((b) => b.schemes.includes(scheme));
    if (backend) return backend;
  } else {
    const path = text.split('?')[0]!;
    const backend = backends.find((b) => b.claimsPath?.(path));
    if (backend) return backend;
  }
  throw new ValidationError(
    'url',
    scheme && !isDrive ? `uses the scheme "${scheme}:", which this version of sessiondb does not support` : 'is not a store URL',
    `Supported: ${supported()}.`,
  );
}

function supported(): string {
  return [...backends].sort((a, b) => a.name.localeCompare(b.name)).map((b) => b.example).join(', ');
}
