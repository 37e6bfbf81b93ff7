import { SessionExistsError } from '../core/errors.js';
import type { SessionStore } from '../core/store.js';
import type { SessionKey } from '../core/types.js';
import { checksum, readSnapshot } from './snapshot.js';

/** Counts of what a copy moved. */
export interface CopySummary {
  sessions: number;
  /** Sessions already in the destination (an earlier, interrupted run): left as they are. */
  skippedSessions: number;
  events: number;
  stateRows: number;
  files: number;
  seconds: number;
}

export interface CopyProgress {
  phase: 'sessions' | 'state' | 'files';
  sessions: number;
  events: number;
}

export interface CopyOptions {
  /** Session keys read per page (and the bound on memory: one page of keys, `concurrency` sessions). */
  batchSize?: number;
  /** Sessions copied at once. Default 8. */
  concurrency?: number;
  onProgress?(p: CopyProgress): void;
}

/**
 * Copies everything from one store to another: every session of every tenant
 * exactly (ids, seqs, times, counters, version, state), then app and user
 * state, then file records. Memory is bounded by a page of keys and the
 * sessions in flight. Each session is written atomically, so a copy that was
 * interrupted can be run again: sessions already copied are skipped, shared
 * state and file records are rewritten (idempotent).
 */
export async function copyStore(from: SessionStore, to: SessionStore, options: CopyOptions = {}): Promise<CopySummary> {
  const t0 = performance.now();
  const batch = options.batchSize ?? 500;
  const concurrency = options.concurrency ?? 8;
  const summary: CopySummary = { sessions: 0, skippedSessions: 0, events: 0, stateRows: 0, files: 0, seconds: 0 };
  const report = (phase: CopyProgress['phase']) => options.onProgress?.({ phase, sessions: summary.sessions + summary.skippedSessions, events: summary.events });

  for (let cursor: string | null = null; ; ) {
    const page = await from.scanSessionKeys({ cursor, limit: batch });
    await inParallel(page.keys, concurrency, async (key) => {
      const snapshot = await readSnapshot(from, key);
      if (!snapshot) return; // deleted meanwhile
      try {
        await to.importSession(snapshot);
        summary.sessions++;
        summary.events += snapshot.events.length;
      } catch (err) {
        if (!(err instanceof SessionExistsError)) throw err;
        summary.skippedSessions++;
      }
    });
    report('sessions');
    if (!(cursor = page.nextCursor)) break;
  }

  for (const scope of ['app', 'user'] as const) {
    for (let cursor: string | null = null; ; ) {
      const page = await from.scanSharedState(scope, { cursor, limit: batch });
      for (const item of page.items) {
        if (scope === 'app') await to.updateAppState({ tenant: item.tenant, appName: item.appName }, item.state);
        else await to.updateUserState({ tenant: item.tenant, appName: item.appName, userId: item.userId! }, item.state);
        summary.stateRows += Object.keys(item.state).length;
      }
      report('state');
      if (!(cursor = page.nextCursor)) break;
    }
  }

  for (let cursor: string | null = null; ; ) {
    const page = await from.scanFiles({ cursor, limit: batch });
    for (const f of page.files) {
      await to.putFile(f);
      summary.files++;
    }
    report('files');
    if (!(cursor = page.nextCursor)) break;
  }
  summary.seconds = (performance.now() - t0) / 1000;
  return summary;
}

/** What `verifyCopy` found. `differences` names every session (or shared state, or file) that differs. */
export interface VerifyReport {
  ok: boolean;
  sessions: { source: number; destination: number };
  events: { source: number; destination: number };
  differences: string[];
}

/**
 * Compares two stores: counts, and for every session a checksum of its fields,
 * own state and events; for shared state and file records a checksum each.
 * Sessions only the destination has are reported too.
 */
export async function verifyCopy(from: SessionStore, to: SessionStore, options: { batchSize?: number; concurrency?: number } = {}): Promise<VerifyReport> {
  const batch = options.batchSize ?? 500;
  const report: VerifyReport = { ok: true, sessions: { source: 0, destination: 0 }, events: { source: 0, destination: 0 }, differences: [] };
  const name = (k: SessionKey) => `session ${k.tenant ?? 'default'}/${k.appName}/${k.userId}/${k.sessionId}`;
  for (let cursor: string | null = null; ; ) {
    const page = await from.scanSessionKeys({ cursor, limit: batch });
    await inParallel(page.keys, options.concurrency ?? 8, async (key) => {
      const [a, b] = await Promise.all([readSnapshot(from, key), readSnapshot(to, key)]);
      if (!a) return;
      report.sessions.source++;
      report.events.source += a.events.length;
      if (!b) return void report.differences.push(`${name(key)}: missing in the destination`);
      if (checksum(a) !== checksum(b)) report.differences.push(`${name(key)}: differs`);
    });
    if (!(cursor = page.nextCursor)) break;
  }
  for (let cursor: string | null = null; ; ) {
    const page = await to.scanSessionKeys({ cursor, limit: batch });
    for (const key of page.keys) {
      const s = await to.getSession(key, { withEvents: false });
      if (!s) continue;
      report.sessions.destination++;
      report.events.destination += s.eventCount;
      if (!(await from.getSession(key, { withEvents: false }))) report.differences.push(`${name(key)}: only in the destination`);
    }
    if (!(cursor = page.nextCursor)) break;
  }
  for (const scope of ['app', 'user'] as const) {
    for (let cursor: string | null = null; ; ) {
      const page = await from.scanSharedState(scope, { cursor, limit: batch });
      for (const item of page.items) {
        const theirs = scope === 'app' ? await to.getAppState(item) : await to.getUserState({ ...item, userId: item.userId! });
        if (checksum(item.state) !== checksum(theirs)) {
          report.differences.push(`${scope} state ${item.tenant}/${item.appName}${item.userId ? '/' + item.userId : ''}: differs`);
        }
      }
      if (!(cursor = page.nextCursor)) break;
    }
  }
  for (let cursor: string | null = null; ; ) {
    const page = await from.scanFiles({ cursor, limit: batch });
    for (const f of page.files) {
      if (checksum(f) !== checksum(await to.getFile(f))) report.differences.push(`file ${f.tenant}/${f.id}: differs`);
    }
    if (!(cursor = page.nextCursor)) break;
  }
  report.differences.sort();
  report.ok = report.differences.length === 0 && report.sessions.source === report.sessions.destination;
  return report;
}

/** Runs `work` over `items`, at most `limit` at a time; the first failure stops the rest and is thrown. */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown = null;
  const worker = async () => {
    while (failed === null && next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== null) throw failed;
}
