import type { Clock } from '../../core/clock.js';
import type { Limits } from '../../core/limits.js';
import type { StateChangeRow } from '../../core/history.js';
import { eventFromRow, type EventRow, type FileRow, type SessionRow, type SupersededRow } from '../../core/rows.js';
import type { StateEntry } from '../../core/state.js';
import type { MigrationStatus } from '../../core/store.js';
import type { SessionEvent } from '../../core/types.js';
import type { ResolvedKey } from '../../core/validate.js';
import type { DocumentBackend, SessionWrite, SharedOwner, StoredSession } from '../kit/backend.js';
import { DocumentStore } from '../kit/document-store.js';

export interface MemoryStoreOptions {
  limits?: Partial<Limits>;
  clock?: Clock;
}

interface MemorySession {
  row: SessionRow;
  state: Map<string, string>;
  /** events[i].seq === i + 1: the array is the seq index. */
  events: EventRow[];
  eventIndex: Map<string, EventRow>;
  changes: StateChangeRow[];
  superseded: SupersededRow[];
}

// Names cannot contain control characters, so NUL joins them unambiguously.
const join = (...parts: readonly string[]): string => parts.join('\u0000');
const keyOf = (k: ResolvedKey): string => join(k.tenant, k.appName, k.userId, k.sessionId);

/** Process memory as a document backend. Rows are copied in and out, so callers never share mutable state with it. */
class MemoryBackend implements DocumentBackend {
  readonly kind = 'memory';
  private readonly sessions = new Map<string, MemorySession>();
  private readonly shared = new Map<string, Map<string, string>>();
  private readonly files = new Map<string, FileRow>();

  async open(): Promise<void> {}
  async close(): Promise<void> {}
  async migrationStatus(): Promise<MigrationStatus> {
    return { current: 1, latest: 1, pending: [] };
  }

  async getSession(k: ResolvedKey): Promise<StoredSession | null> {
    const s = this.sessions.get(keyOf(k));
    return s ? { row: { ...s.row }, state: new Map(s.state) } : null;
  }

  async sessionRows(): Promise<Iterable<SessionRow>> {
    return [...this.sessions.values()].map((s) => ({ ...s.row }));
  }

  async eventsById(k: ResolvedKey, _s: StoredSession, ids: readonly string[]): Promise<ReadonlyMap<string, SessionEvent>> {
    const index = this.sessions.get(keyOf(k))!.eventIndex;
    const out = new Map<string, SessionEvent>();
    for (const id of ids) {
      const row = index.get(id);
      if (row) out.set(id, eventFromRow(row));
    }
    return out;
  }

  async eventsBySeq(k: ResolvedKey, _s: StoredSession, from: number, to: number): Promise<SessionEvent[]> {
    return this.sessions.get(keyOf(k))!.events.slice(from - 1, to).map(eventFromRow);
  }

  async sharedState(owner: SharedOwner): Promise<ReadonlyMap<string, string>> {
    return new Map(this.shared.get(join(...owner)));
  }

  async sharedOwners(scope: 'app' | 'user'): Promise<{ owner: SharedOwner; state: ReadonlyMap<string, string> }[]> {
    const width = scope === 'app' ? 2 : 3;
    return [...this.shared]
      .map(([key, state]) => ({ owner: key.split('\u0000'), state: new Map(state) }))
      .filter((o) => o.owner.length === width && o.state.size > 0);
  }

  async getFile(tenant: string, id: string): Promise<FileRow | null> {
    const row = this.files.get(join(tenant, id));
    return row ? { ...row } : null;
  }

  async fileRows(): Promise<Iterable<FileRow>> {
    return [...this.files.values()].map((f) => ({ ...f }));
  }

  async stateChanges(k: ResolvedKey): Promise<StateChangeRow[]> {
    return this.sessions.get(keyOf(k))!.changes.map((c) => ({ ...c }));
  }

  async supersededRows(k: ResolvedKey): Promise<SupersededRow[]> {
    return this.sessions.get(keyOf(k))!.superseded.map((e) => ({ ...e }));
  }

  async sessionBytes(k: ResolvedKey, s: StoredSession): Promise<number> {
    let bytes = 0;
    for (const e of this.sessions.get(keyOf(k))!.events) bytes += (e.content?.length ?? 0) + (e.state_delta?.length ?? 0) + (e.metadata?.length ?? 0) + 64;
    for (const [name, json] of s.state) bytes += name.length + json.length;
    return bytes;
  }

  async writeSession(w: SessionWrite): Promise<void> {
    const { row } = w;
    const key = join(row.tenant, row.app_name, row.user_id, row.id);
    let s = this.sessions.get(key);
    if (!s || w.replace) this.sessions.set(key, (s = { row, state: new Map(), events: [], eventIndex: new Map(), changes: [], superseded: [] }));
    if (w.rewind) {
      const { toSeq, supersededAt, supersededBy } = w.rewind;
      for (const e of s.events.splice(toSeq)) {
        s.eventIndex.delete(e.id);
        s.superseded.push({ ...e, superseded_at: supersededAt, superseded_by: supersededBy });
      }
      s.changes = s.changes.filter((c) => c.at_seq <= toSeq);
      s.state.clear();
    }
    s.row = { ...row };
    for (const c of w.changes ?? []) s.changes.push({ ...c });
    setAll(s.state, w.state);
    for (const key of w.unset?.state ?? []) s.state.delete(key);
    for (const e of w.events ?? []) {
      s.events.push(e);
      s.eventIndex.set(e.id, e);
    }
    if (w.app?.length) setAll(this.sharedMap([row.tenant, row.app_name]), w.app);
    if (w.user?.length) setAll(this.sharedMap([row.tenant, row.app_name, row.user_id]), w.user);
    for (const key of w.unset?.app ?? []) this.shared.get(join(row.tenant, row.app_name))?.delete(key);
    for (const key of w.unset?.user ?? []) this.shared.get(join(row.tenant, row.app_name, row.user_id))?.delete(key);
  }

  async writeShared(owner: SharedOwner, entries: readonly StateEntry[]): Promise<void> {
    setAll(this.sharedMap(owner), entries);
  }

  async deleteSession(k: ResolvedKey, files: readonly { tenant: string; id: string }[]): Promise<void> {
    this.sessions.delete(keyOf(k));
    await this.deleteFiles(files);
  }

  async putFile(row: FileRow): Promise<void> {
    this.files.set(join(row.tenant, row.id), { ...row });
  }

  async deleteFiles(keys: readonly { tenant: string; id: string }[]): Promise<void> {
    for (const k of keys) this.files.delete(join(k.tenant, k.id));
  }

  private sharedMap(owner: SharedOwner): Map<string, string> {
    const key = join(...owner);
    let map = this.shared.get(key);
    if (!map) this.shared.set(key, (map = new Map()));
    return map;
  }
}

function setAll(map: Map<string, string>, entries: readonly StateEntry[] | undefined): void {
  for (const [key, json] of entries ?? []) map.set(key, json);
}

/**
 * The reference store: everything in process memory, lost on exit. It keeps
 * the same stored shapes as the SQL stores (JSON as text), so it behaves the
 * same way, including isolation from later mutation of inputs and outputs.
 * Listing sorts the matching sessions, O(n log n): use it for tests and small
 * workloads, not for millions of sessions.
 */
export class MemoryStore extends DocumentStore {
  constructor(options: MemoryStoreOptions = {}) {
    super(new MemoryBackend(), options);
  }
}
