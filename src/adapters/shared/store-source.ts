import { ValidationError } from '../../core/errors.js';
import type { SessionStore } from '../../core/store.js';
import { openStore } from '../../stores/open-store.js';

/**
 * Where a framework adapter keeps its data: a store the caller opened (and
 * closes), or a store URL the adapter opens on first use (and closes in its
 * own `close()`).
 */
export type StoreSource = { store: SessionStore; url?: undefined } | { url: string; store?: undefined };

/** A store opened once, on first use, from a {@link StoreSource}. */
export interface LazyStore {
  get(): Promise<SessionStore>;
  /** Closes the store if this adapter opened it from a URL; a store passed in is left open. */
  close(): Promise<void>;
}

/** Checks a source (exactly one of `store` and `url`) and returns a handle that opens it on first use. */
export function lazyStore(source: Partial<StoreSource>, field = 'options'): LazyStore {
  const { store, url } = source;
  if ((store === undefined) === (url === undefined)) {
    throw new ValidationError(field, 'must give exactly one of store (an open SessionStore) and url (a store URL such as "sqlite:./data/sessions.db")');
  }
  if (store) return { get: async () => store, close: async () => {} };
  if (typeof url !== 'string' || url.trim() === '') throw new ValidationError(`${field}.url`, 'must be a store URL such as "sqlite:./data/sessions.db"');
  let opening: Promise<SessionStore> | null = null;
  return {
    get: () => (opening ??= openStore(url)),
    async close() {
      if (!opening) return;
      const opened = await opening.catch(() => null);
      opening = null;
      await opened?.close();
    },
  };
}
