/**
 * Google ADK for TypeScript (`@google/adk`) on sessiondb: a drop-in persistent
 * `BaseSessionService`, and an importer for ADK's own database.
 */
import '../../client/registration.js'; // AdkSessionService('http://…')
export { AdkSessionService, StaleSessionError, type AdkSessionServiceOptions, type AdkStoreStats } from './adk-session-service.js';
export { toAdkEvent, toStoreEvent } from './event-mapping.js';
export { ADK_DIVERGENCES, type AdkDivergence } from './divergences.js';
export { importAdkDatabase, type AdkImportOptions, type AdkImportResult } from './import-adk.js';
