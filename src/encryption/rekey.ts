/**
 * `rekeyStore`: re-seals everything under the newest key (the key ring's
 * writer), so that older keys can be dropped from the configuration. Works on
 * the sealed values as stored (through `EncryptedStore.inner`), one record at
 * a time: what is already under the newest key is skipped, so a run that was
 * interrupted is finished by running it again.
 */
import type { SessionStore } from '../core/store.js';
import type { FileRecord, SessionKey, SessionSnapshot, SupersededEvent } from '../core/types.js';
import { readSnapshot } from '../transfer/snapshot.js';
import type { Codec } from './codec.js';
import type { EncryptedStore } from './encrypted-store.js';
import { statePlace } from './places.js';
import { mapEvent, mapFile, mapSnapshot, refOfSession, type ValueMap } from './records.js';

/** What a rekey did. */
export interface RekeySummary {
  /** The key everything is now sealed with. */
  keyId: string;
  /** Sessions re-sealed (rewritten whole, with their events, state and log). */
  sessions: number;
  /** Sessions already under the newest key, left as they were. */
  currentSessions: number;
  /** Events of the re-sealed sessions. */
  events: number;
  /** App and user states with at least one value re-sealed. */
  sharedStates: number;
  /** File records re-sealed (a session's own records with it, the others after the sessions). */
  files: number;
  /**
   * Sessions left under older keys, each with why: one whose history was
   * rewound (a whole-session rewrite would drop its superseded events), or one
   * that kept changing while rekey read it (run rekey again).
   */
  kept: { session: string; reason: string }[];
  /** True when `signal` stopped the run early: run it again to finish. */
  interrupted: boolean;
  seconds: number;
}

export interface RekeyProgress {
  phase: 'sessions' | 'state' | 'files';
  /** Sessions looked at so far (re-sealed, current or kept). */
  sessions: number;
  events: number;
}

export interface RekeyOptions {
  /** Session keys, shared states or file records read per page. Default 200. */
  batchSize?: number;
  onProgress?(p: RekeyProgress): void;
  /** Stops the run between two records (each record is rewritten atomically). */
  signal?: AbortSignal;
}

const ATTEMPTS = 3;

/**
 * Re-seals every sealed value of `store` under its newest key: sessions
 * (metadata, own state, events, state-change log — each session rewritten in
 * one atomic `importSession` with `replace`), app and user state, file records.
 *
 * A session is rewritten whole, so a write to that session landing between
 * rekey's read and its rewrite would be undone; rekey narrows that window by
 * checking the session's version just before the rewrite, but cannot close it
 * (the store contract has no conditional import). Run it when nothing writes,
 * or at a quiet time. Sessions with rewound history are kept as they are
 * (listed in `kept`): a whole-session rewrite would lose their superseded events.
 */
export async function rekeyStore(store: EncryptedStore, options: RekeyOptions = {}): Promise<RekeySummary> {
  const t0 = performance.now();
  const inner = store.inner;
  const codec = store.codec;
  const batch = options.batchSize ?? 200;
  const summary: RekeySummary = {
    keyId: store.writeKeyId,
    sessions: 0,
    currentSessions: 0,
    events: 0,
    sharedStates: 0,
    files: 0,
    kept: [],
    interrupted: false,
    seconds: 0,
  };
  const stopped = () => (summary.interrupted ||= options.signal?.aborted === true);
  const report = (phase: RekeyProgress['phase']) =>
    options.onProgress?.({ phase, sessions: summary.sessions + summary.currentSessions + summary.kept.length, events: summary.events });

  sessions: for (let cursor: string | null = null; ; ) {
    const page = await inner.scanSessionKeys({ cursor, limit: batch });
    for (const key of page.keys) {
      if (stopped()) break sessions;
      await rekeySession(inner, codec, key, summary);
      report('sessions');
    }
    if (!(cursor = page.nextCursor)) break;
  }

  for (const scope of ['app', 'user'] as const) {
    for (let cursor: string | null = null; !stopped(); ) {
      const page = await inner.scanSharedState(scope, { cursor, limit: batch });
      for (const item of page.items) {
        if (stopped()) break;
        const delta: Record<string, unknown> = {};
        for (const [name, value] of Object.entries(item.state)) {
          if (!codec.isCurrent(value, 'value')) Object.defineProperty(delta, name, { value: codec.reseal(value, statePlace(item, name), 'value'), enumerable: true });
        }
        if (!Object.keys(delta).length) continue;
        if (scope === 'app') await inner.updateAppState({ tenant: item.tenant, appName: item.appName }, delta);
        else await inner.updateUserState({ tenant: item.tenant, appName: item.appName, userId: item.userId! }, delta);
        summary.sharedStates++;
      }
      report('state');
      if (!(cursor = page.nextCursor)) break;
    }
  }

  for (let cursor: string | null = null; !stopped(); ) {
    const page = await inner.scanFiles({ cursor, limit: batch });
    for (const file of page.files) {
      if (stopped()) break;
      if (codec.isCurrent(file.metadata, 'metadata')) continue;
      await inner.putFile(mapFile(file, codec.reseal));
      summary.files++;
    }
    report('files');
    if (!(cursor = page.nextCursor)) break;
  }

  summary.seconds = (performance.now() - t0) / 1000;
  return summary;
}

/** Re-seals one session (see `rekeyStore`), counting what it did in `summary`. */
async function rekeySession(inner: SessionStore, codec: Codec, key: Required<SessionKey>, summary: RekeySummary): Promise<void> {
  const name = `${key.tenant}/${key.appName}/${key.userId}/${key.sessionId}`;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const snapshot = await readSnapshot(inner, key);
    if (!snapshot) return; // deleted meanwhile
    const superseded = await readSuperseded(inner, key);
    if (superseded === null) return;
    const k = refOfSession(snapshot.session);
    let stale = false;
    const check: ValueMap = (value, _place, kind) => {
      stale ||= !codec.isCurrent(value, kind);
      return value;
    };
    mapSnapshot(snapshot, check);
    for (const e of superseded) mapEvent(k, e, check);
    if (!stale) {
      summary.currentSessions++;
      return;
    }
    if (superseded.length) {
      summary.kept.push({ session: name, reason: `its history was rewound: a rewrite would drop its ${superseded.length} superseded events` });
      return;
    }
    const resealed: SessionSnapshot = mapSnapshot(snapshot, codec.reseal);
    const files = await sessionFiles(inner, key);
    const head = await inner.getSession(key, { withEvents: false });
    if (!head) return;
    if (head.version !== snapshot.session.version) continue; // written meanwhile: read it again
    await inner.importSession(resealed, { replace: true });
    // Some stores delete a session's file records with the session a replace removes: put them back.
    for (const f of files) await inner.putFile(mapFile(f, codec.reseal));
    summary.files += files.filter((f) => !codec.isCurrent(f.metadata, 'metadata')).length;
    summary.sessions++;
    summary.events += resealed.events.length;
    return;
  }
  summary.kept.push({ session: name, reason: `it was written to during each of ${ATTEMPTS} attempts; run rekey again` });
}

async function readSuperseded(inner: SessionStore, key: SessionKey): Promise<SupersededEvent[] | null> {
  const out: SupersededEvent[] = [];
  for (let cursor: string | null = null; ; ) {
    const page = await inner.readSupersededEvents(key, { cursor, limit: 1000 });
    if (!page) return null;
    out.push(...page.events);
    if (!(cursor = page.nextCursor)) return out;
  }
}

async function sessionFiles(inner: SessionStore, key: Required<SessionKey>): Promise<FileRecord[]> {
  const out: FileRecord[] = [];
  for (let cursor: string | null = null; ; ) {
    const page = await inner.listFiles({ tenant: key.tenant, appName: key.appName, userId: key.userId, sessionId: key.sessionId, cursor, limit: 1000 });
    out.push(...page.files);
    if (!(cursor = page.nextCursor)) return out;
  }
}
