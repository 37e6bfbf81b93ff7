// A worker thread that reads a SQLite store's totals on its own read-only connection, so that
// the scans behind them (seconds over millions of sessions) never block the thread serving
// requests. WAL mode lets it read while the store writes.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { readStats } from './stats.js';

const { path, busyTimeoutMs } = workerData as { path: string; busyTimeoutMs: number };
const db = new Database(path, { readonly: true, fileMustExist: true });
db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);

parentPort!.on('message', (request: { id: number; tenant: string | undefined }) => {
  try {
    parentPort!.postMessage({ id: request.id, stats: readStats(db, path, request.tenant) });
  } catch (err) {
    parentPort!.postMessage({ id: request.id, error: (err as Error).message });
  }
});
