import assert from 'node:assert/strict';
import type { ErrorCode } from '../core/errors.js';
import { SessionDbError } from '../core/errors.js';
import type { SessionStore, StoreCapabilities } from '../core/store.js';
import type { NewSession, SessionKey } from '../core/types.js';

/** How the conformance suite gets stores to test. */
export interface ConformanceHarness {
  /** Shown in the suite's name, e.g. "SqliteStore (file)". */
  name: string;
  /** A fresh, migrated, empty store for one test. */
  create(): Promise<SessionStore>;
  /** Disposes of a store made by `create` (default: `store.close()`). */
  destroy?(store: SessionStore): Promise<void>;
  /**
   * For the multi-process tests: a URL that `openStore` in another OS process
   * opens to the same database as `store`. Omit it for process-private stores
   * (memory, `:memory:`); those tests are then skipped by name.
   */
  sharedUrl?(store: SessionStore): string | undefined;
  /**
   * The capabilities the store under test declares (absent ones: off). A case
   * checks that the store declares exactly these, and the cases for each
   * capability run only where it is on (else they are skipped by name).
   */
  capabilities?: Partial<StoreCapabilities>;
  /** For the backup case: opens the copy `store.backup(path)` wrote, to compare it with the original. */
  openBackup?(path: string): Promise<SessionStore>;
  /** Processes and appends each for the multi-process test (default 2 × 1000). */
  processes?: { count: number; appendsEach: number };
}

/** What each conformance case receives. */
export interface CaseContext {
  store: SessionStore;
  harness: ConformanceHarness;
  /** A key no other case uses. */
  key(overrides?: Partial<SessionKey>): SessionKey;
  /** Creates a session for `key` and returns the key. */
  session(key?: SessionKey, extra?: Partial<NewSession>): Promise<SessionKey>;
}

export interface ConformanceCase {
  group: string;
  name: string;
  /** What the case needs: the harness's `sharedUrl`, or a capability the harness declares. Without it the case is skipped by name. */
  needs?: 'sharedUrl' | keyof StoreCapabilities;
  run(t: CaseContext): Promise<void>;
}

let counter = 0;

export function makeContext(store: SessionStore, harness: ConformanceHarness): CaseContext {
  const key = (overrides: Partial<SessionKey> = {}): SessionKey => {
    counter++;
    return { appName: `app-${counter}`, userId: `user-${counter}`, sessionId: `s-${counter}`, ...overrides };
  };
  return {
    store,
    harness,
    key,
    async session(k = key(), extra = {}) {
      await store.createSession({ tenant: k.tenant, appName: k.appName, userId: k.userId, id: k.sessionId, ...extra });
      return k;
    },
  };
}

/** Asserts that `promise` rejects with a `SessionDbError` of `code` (and, if given, naming `field`). */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, field?: string | RegExp): Promise<SessionDbError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught !== undefined, `expected a "${code}" error, but the call succeeded`);
  assert.ok(caught instanceof SessionDbError, `expected a SessionDbError, got ${String(caught)}`);
  assert.equal(caught.code, code, `expected code "${code}", got "${caught.code}": ${caught.message}`);
  if (field !== undefined) {
    const named = String(caught.details?.['field'] ?? '') + ' ' + caught.message;
    if (typeof field === 'string') assert.ok(named.includes(field), `expected the error to name "${field}": ${caught.message}`);
    else assert.match(named, field);
  }
  return caught;
}
