/**
 * sessiondb: persistent sessions, event history and scoped state for LLM chat
 * and agent applications. The root entry loads no database driver.
 */
import './client/registration.js'; // http:// and https:// URLs open an HttpStore
export * from './core/types.js';
export * from './core/errors.js';
export type { SessionStore, FileKey, MigrationStatus, MigrateOptions, MigrationProgress } from './core/store.js';
export { DEFAULT_LIMITS, resolveLimits, type Limits } from './core/limits.js';
export { systemClock, type Clock } from './core/clock.js';
export { APP_PREFIX, USER_PREFIX, TEMP_PREFIX, scopeOf, type StateScope } from './core/state.js';
export { uuidv7 } from './core/ids.js';
export { redactSecrets } from './core/redact.js';
export { openStore, parseStoreUrl, type OpenStoreOptions, type StoreLocation } from './stores/open-store.js';
export { MemoryStore, type MemoryStoreOptions } from './stores/memory/memory-store.js';
export { SqliteStore, type SqliteStoreOptions } from './stores/sqlite/sqlite-store.js';
export { PostgresStore, type PostgresStoreOptions } from './stores/postgres/postgres-store.js';
export type { Logger } from './core/logger.js';
export { silentLogger } from './core/logger.js';
export { currentCorrelationId, withCorrelationId, type EventCategory, type EventHook, type EventSession, type EventSeverity, type LifecycleEvent, type LifecycleEventType } from './telemetry/index.js';
export { SessionManager, nodeScheduler, type ManagerStatistics, type Scheduler, type SessionManagerOptions, type StartupInfo } from './manager/index.js';
export {
  EXPORT_FORMATS,
  exportSession,
  importSessionExport,
  renderMarkdown,
  renderText,
  toSessionExport,
  type ExportFormat,
  type ExportOptions,
  type SessionExport,
} from './transfer/session-export.js';
export { forkSession, type ForkOptions } from './transfer/fork.js';
export { JsonFileStore, type JsonFileStoreOptions } from './stores/file/file-store.js';
export { HttpStore, type HttpStoreOptions } from './client/http-store.js';
export type { HttpRetryOptions } from './client/retry.js';
export { loadConfig, createFromConfig, openStoreFromConfig, storeUrlFromConfig, CONFIG_FILES, type LoadConfigOptions, type LoadedConfig } from './config/load.js';
export { configSchema, type Config, type ConfigInput } from './config/schema.js';
export { copyStore, verifyCopy, type CopyOptions, type CopySummary, type CopyProgress, type VerifyReport } from './transfer/copy.js';
export { dumpStore, loadStore, backupStore, DUMP_FORMAT, DUMP_VERSION, type DumpCounts } from './transfer/dump.js';
export { readSnapshot, checksum, canonicalJson } from './transfer/snapshot.js';
export { registerStoreBackend, storeBackends, type StoreBackend, type ParsedLocation } from './stores/registry.js';
export { capabilitiesOf, type StoreCapabilities } from './core/store.js';
export {
  EncryptedStore,
  encryptStore,
  parseEncryptionKeys,
  rekeyStore,
  sealedLimits,
  SealedValueError,
  SearchUnsupportedError,
  type EncryptionKey,
  type EncryptionOptions,
  type RekeyOptions,
  type RekeyProgress,
  type RekeySummary,
} from './encryption/index.js';
