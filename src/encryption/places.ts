/**
 * Where each sealed value lives. A value's seal is bound to its place (the
 * AAD), so that a value copied to another session, key or field fails to open.
 *
 * State values are bound to the scope that owns them — the app for `app:`
 * keys, the user for `user:` keys, the session for the rest — because the
 * store copies an event's state delta into that scope's state as it is: the
 * same sealed value must open in both places. Events are bound by id, not by
 * seq: the store assigns seqs after the values are sealed.
 */
import { DEFAULT_TENANT } from '../core/types.js';
import { scopeOf } from '../core/state.js';
import type { Place } from './sealer.js';

/** A session's full key, tenant filled in. */
export interface SessionRef {
  tenant: string;
  appName: string;
  userId: string;
  sessionId: string;
}

function aad(parts: readonly unknown[]): string {
  return 'sdb:v1' + JSON.stringify(parts);
}

function sessionName(k: SessionRef): string {
  return `${k.tenant}/${k.appName}/${k.userId}/${k.sessionId}`;
}

function sessionDetails(k: SessionRef): Record<string, unknown> {
  return { tenant: k.tenant, appName: k.appName, userId: k.userId, sessionId: k.sessionId };
}

export function sessionMetadataPlace(k: SessionRef): Place {
  return {
    aad: aad(['session.metadata', k.tenant, k.appName, k.userId, k.sessionId]),
    describe: () => ({ what: `the metadata of session ${sessionName(k)}`, details: { ...sessionDetails(k), field: 'metadata' } }),
  };
}

/** An event's content or metadata. `seq` only names it in errors (it is not known when a value is sealed). */
export function eventPlace(k: SessionRef, event: { id: string; seq?: number }, field: 'content' | 'metadata'): Place {
  return {
    aad: aad([`event.${field}`, k.tenant, k.appName, k.userId, k.sessionId, event.id]),
    describe: () => ({
      what: `the ${field} of ${event.seq === undefined ? `event "${event.id}"` : `event ${event.seq} (id "${event.id}")`} of session ${sessionName(k)}`,
      details: { ...sessionDetails(k), eventId: event.id, ...(event.seq === undefined ? {} : { seq: event.seq }), field },
    }),
  };
}

/** The owner of shared or session state: a session, one user of an app, or an app. */
export interface StateOwner {
  tenant: string;
  appName: string;
  userId?: string;
  sessionId?: string;
}

/**
 * The value of state key `key`, bound to the scope its prefix names. `owner`
 * must reach that scope (a session reaches all three). `via` names where the
 * value was read when that is not the state itself (an event's delta, the log).
 */
export function statePlace(owner: StateOwner, key: string, via?: () => string): Place {
  const scope = scopeOf(key);
  const t = owner.tenant;
  const parts =
    scope === 'app'
      ? ['state.app', t, owner.appName, key]
      : scope === 'user'
        ? ['state.user', t, owner.appName, owner.userId, key]
        : ['state.session', t, owner.appName, owner.userId, owner.sessionId, key];
  return {
    aad: aad(parts),
    describe: () => {
      const name =
        scope === 'app' ? `app ${t}/${owner.appName}` : scope === 'user' ? `user ${t}/${owner.appName}/${owner.userId}` : `session ${t}/${owner.appName}/${owner.userId}/${owner.sessionId}`;
      return {
        what: `state key "${key}" of ${name}${via ? ` (in ${via()})` : ''}`,
        details: { tenant: t, appName: owner.appName, ...(owner.userId === undefined ? {} : { userId: owner.userId }), ...(owner.sessionId === undefined ? {} : { sessionId: owner.sessionId }), field: `state.${key}` },
      };
    },
  };
}

export function fileMetadataPlace(file: { tenant?: string; id: string }): Place {
  const tenant = file.tenant ?? DEFAULT_TENANT;
  return {
    aad: aad(['file.metadata', tenant, file.id]),
    describe: () => ({ what: `the metadata of file record ${tenant}/${file.id}`, details: { tenant, fileId: file.id, field: 'metadata' } }),
  };
}
