import { createHash } from 'node:crypto';
import type { SessionStatus } from '../../core/types.js';

/**
 * The key layout (version 2). Every key starts with the store prefix and a
 * hash tag, so that the keys that must change together share a cluster slot:
 *
 * - user slot `{u:<hash of tenant, app, user>}`: each session of that user
 *   (`:s:<id>` fields, `:st:<id>` own state, `:ev:<id>` events by seq,
 *   `:ei:<id>` event id → seq, `:et:<id>` seq by timestamp, `:sh:<id>` the
 *   log of state changes, `:sx:<id>` the events rewinds superseded), the user's
 *   `user:` state (`:us`), the user-level listing indexes (`:ix`, `:ix\0<status>`),
 *   and on a cluster the outbox of cross-slot work (`:ob`) and its stamp counter (`:clock`);
 * - app slot `{a:<hash of tenant, app>}`: the `app:` state (`:state`) and, on a
 *   cluster, which outbox stamps it has applied (`:applied`);
 * - tenant slot `{t:<hash of tenant>}`: the app- and tenant-level listing
 *   indexes, the expiry and idleness indexes, the registries the whole-store
 *   scans walk, and the file records with their indexes;
 * - global slot `{g}`: the layout version and the registry of tenants.
 *
 * Names never appear inside the hash tag (they may contain braces); the
 * 128-bit hash in the tag names the owner. Within a slot, names are joined
 * with NUL, which no name can contain.
 */
export const LAYOUT_VERSION = 2;

/** What each layout version added; `migrate()` applies them and records the newest. */
export const LAYOUTS: readonly { version: number; description: string }[] = [
  { version: 1, description: 'key layout 1: sessions, events and user state per user slot; app state per app slot; indexes, registries and files per tenant slot' },
  {
    version: 2,
    description: "key layout 2: per session, the log of state changes and the events rewinds superseded (each stored session's log starts with its current state)",
  },
];

/** Listing positions are this many characters: the hex of a float64, sortable as text. */
export const POSITION_LENGTH = 16;

export class RedisLayout {
  private readonly tags = new Map<string, string>();

  constructor(readonly prefix: string) {}

  /** The base of the user slot's keys. */
  user(tenant: string, app: string, user: string): string {
    return this.base('u', `${tenant}\u0000${app}\u0000${user}`);
  }

  /** The base of the app slot's keys. */
  app(tenant: string, app: string): string {
    return this.base('a', `${tenant}\u0000${app}`);
  }

  /** The base of the tenant slot's keys. */
  tenant(tenant: string): string {
    return this.base('t', tenant);
  }

  /** The base of the global slot's keys. */
  global(): string {
    return `${this.prefix}{g}`;
  }

  private base(kind: string, owner: string): string {
    const id = `${kind}\u0000${owner}`;
    let key = this.tags.get(id);
    if (key === undefined) {
      if (this.tags.size >= 10_000) this.tags.clear();
      const hash = createHash('sha256').update(owner, 'utf8').digest('hex').slice(0, 32);
      key = `${this.prefix}{${kind}:${hash}}`;
      this.tags.set(id, key);
    }
    return key;
  }
}

/** Keys built from a slot base, for the commands the store sends from JavaScript. */
export const keys = {
  session: (user: string, id: string) => `${user}:s:${id}`,
  events: (user: string, id: string) => `${user}:ev:${id}`,
  /** A list of the session's state changes (`StateChangeRow` JSON), oldest first. */
  history: (user: string, id: string) => `${user}:sh:${id}`,
  /** A lexicographic sorted set of the superseded events: `supersededMember`. */
  superseded: (user: string, id: string) => `${user}:sx:${id}`,
  userIndex: (user: string, status?: SessionStatus) => (status ? `${user}:ix\u0000${status}` : `${user}:ix`),
  userState: (user: string) => `${user}:us`,
  clock: (user: string) => `${user}:clock`,
  appState: (app: string) => `${app}:state`,
  appIndex: (tenant: string, app: string, status?: SessionStatus) => (status ? `${tenant}:ax:${app}\u0000${status}` : `${tenant}:ax:${app}`),
  tenantIndex: (tenant: string, status?: SessionStatus) => (status ? `${tenant}:ix\u0000${status}` : `${tenant}:ix`),
  expiry: (tenant: string, status: SessionStatus) => `${tenant}:exp\u0000${status}`,
  idle: (tenant: string, status: SessionStatus) => `${tenant}:act\u0000${status}`,
  sessionKeys: (tenant: string) => `${tenant}:keys`,
  appsWithState: (tenant: string) => `${tenant}:apps`,
  usersWithState: (tenant: string) => `${tenant}:users`,
  fileIds: (tenant: string) => `${tenant}:fids`,
  fileExpiry: (tenant: string) => `${tenant}:fe`,
  layoutVersion: (global: string) => `${global}:layout`,
  tenants: (global: string) => `${global}:tenants`,
};

/** The file index a listing walks: the narrowest one its filters allow. The rest is filtered. */
export function fileIndex(tenant: string, app?: string, user?: string, session?: string): { key: string; exact: boolean } {
  if (app !== undefined && user !== undefined && session !== undefined) return { key: `${tenant}:fx:s:${app}\u0000${user}\u0000${session}`, exact: true };
  if (app !== undefined && user !== undefined) return { key: `${tenant}:fx:u:${app}\u0000${user}`, exact: session === undefined };
  if (app !== undefined) return { key: `${tenant}:fx:a:${app}`, exact: user === undefined && session === undefined };
  return { key: `${tenant}:fx`, exact: user === undefined && session === undefined };
}

const scratch = Buffer.alloc(8);

/**
 * A time as 16 hex digits of its float64 bits. For non-negative numbers the
 * bits order like the values, so listing indexes are lexicographic sorted
 * sets whose members start with this: text order is (time, rest of member).
 */
export function positionOf(time: number): string {
  scratch.writeDoubleBE(time === 0 ? 0 : time); // -0 would sort after everything
  return scratch.toString('hex');
}

/** Splits an index member into its position and the NUL-separated names after it. */
export function splitMember(member: string): { position: string; names: string[] } {
  return { position: member.slice(0, POSITION_LENGTH), names: member.slice(POSITION_LENGTH).split('\u0000') };
}
