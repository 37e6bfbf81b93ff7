/**
 * The store kit: what sessiondb's own stores are built from, published so
 * that a store for another database is small. A store validates its input
 * with the `prepare*` / `resolve*` functions, asks the planner what a write
 * does, maps rows with the row functions, and pages with the cursor helpers;
 * a document-style database can instead implement `DocumentBackend` and get the
 * whole contract from `DocumentStore`. Register it for `openStore` with
 * `registerStoreBackend`, and prove it with `runConformanceSuite` from
 * `sessiondb/testing`.
 *
 * @example
 * import { DocumentStore, registerStoreBackend } from 'sessiondb/store-kit';
 * class MyStore extends DocumentStore { constructor() { super(new MyBackend()); } }
 * registerStoreBackend({ name: 'mydb', schemes: ['mydb'], example: 'mydb://host/db',
 *   parse: (url) => ({ kind: 'mydb', url }), open: async () => new MyStore() });
 */
export {
  checkExpected,
  expectedVersion,
  mergeDeltas,
  mergeState,
  newSessionRow,
  planActivity,
  planAppend,
  planAppended,
  planPatch,
  planSweep,
  type AppendPlan,
  type ReplayPlan,
  type SessionHead,
  type WritePlan,
} from '../core/plan.js';
export {
  prepareFile,
  prepareNewSession,
  prepareKeyUpdate,
  preparePatch,
  prepareScopeDelta,
  prepareSnapshot,
  stampEvents,
  type PreparedPatch,
  type PreparedSession,
  type PreparedSnapshot,
} from '../core/prepare.js';
export {
  checkActivity,
  checkName,
  checkVersion,
  isDue,
  prepareEvents,
  resolveAppKey,
  resolveFileKey,
  resolveKey,
  resolveSweep,
  resolveTenant,
  resolveUserKey,
  type PreparedEvent,
  type ResolvedKey,
} from '../core/validate.js';
export {
  comparePosition,
  compareTuples,
  eventCursor,
  eventPageSeqs,
  fileCursor,
  matchesSessionFilter,
  pageFileRows,
  pageInMemory,
  pageSessionRows,
  positionOf,
  resolveCountQuery,
  resolveEventRange,
  resolveFileQuery,
  resolveReadOptions,
  resolveScan,
  resolveSessionQuery,
  scanCursor,
  sessionCursor,
  type ResolvedEventRange,
  type ResolvedFileQuery,
  type ResolvedSessionQuery,
  type SessionPosition,
} from '../core/paging.js';
export { compareUtf8, decodeCursor, encodeCursor } from '../core/cursor.js';
export {
  eventFromRow,
  eventRowOf,
  fileFromRow,
  fileRowOf,
  sessionFromRow,
  sessionRowOf,
  sharedItem,
  type EventRow,
  type FileRow,
  type SessionRow,
} from '../core/rows.js';
export { deletionsOf, entriesToState, splitDelta, splitKeyUpdate, type ScopedDelta, type ScopedKeys, type StateEntry } from '../core/state.js';
export { loadDriver } from '../core/driver.js';
export { capabilitiesOf, type SessionStore, type StoreCapabilities, type MigrationStatus, type FileKey } from '../core/store.js';
export { DocumentStore, type DocumentStoreOptions } from '../stores/kit/document-store.js';
export type { DocumentBackend, SessionWrite, SharedOwner, StoredSession } from '../stores/kit/backend.js';
export {
  backendForUrl,
  backendNamed,
  registerStoreBackend,
  storeBackends,
  type OpenStoreOptions,
  type ParsedLocation,
  type StoreBackend,
} from '../stores/registry.js';
