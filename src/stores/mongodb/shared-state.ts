/**
 * `app:` and `user:` state: one document per app and per user of an app, each
 * key a field of its `state` map, so a delta is one `$set` of the keys it
 * names (upserted), with no read of the rest.
 */
import type { ClientSession, Collection, Filter } from 'mongodb';
import type { ScopedDelta, StateEntry } from '../../core/state.js';
import { stateEntries, stateSets, stateUnsets, type SharedStateDoc } from './documents.js';
import { isDuplicateKey } from './errors.js';
import type { MongoCollections } from './schema.js';

export type AppOwner = { tenant: string; appName: string };
export type UserOwner = AppOwner & { userId: string };

export function appFilter(o: AppOwner): Filter<SharedStateDoc> {
  return { tenant: o.tenant, appName: o.appName };
}

export function userFilter(o: UserOwner): Filter<SharedStateDoc> {
  return { tenant: o.tenant, appName: o.appName, userId: o.userId };
}

/** Sets keys of one owner's state (the owner's document is created on its first key). */
export async function upsertShared(
  coll: Collection<SharedStateDoc>,
  owner: AppOwner | UserOwner,
  entries: readonly StateEntry[],
  session: ClientSession | undefined,
): Promise<void> {
  if (entries.length === 0) return;
  const filter = 'userId' in owner ? userFilter(owner) : appFilter(owner);
  await retryingDuplicate(() => coll.updateOne(filter, { $set: stateSets('state', entries) }, { upsert: true, session }));
}

/** Sets keys of one owner's state and returns its whole state after, in one round trip. */
export async function updateSharedReturning(
  coll: Collection<SharedStateDoc>,
  owner: AppOwner | UserOwner,
  entries: readonly StateEntry[],
): Promise<StateEntry[]> {
  const filter = 'userId' in owner ? userFilter(owner) : appFilter(owner);
  if (entries.length === 0) return stateEntries((await coll.findOne(filter, { projection: { state: 1 } }))?.state);
  const doc = await retryingDuplicate(() =>
    coll.findOneAndUpdate(filter, { $set: stateSets('state', entries) }, { upsert: true, returnDocument: 'after', projection: { state: 1 } }),
  );
  return stateEntries(doc?.state);
}

/** Two first writes of the same owner may race to insert it: the loser's retry updates the winner's document. */
async function retryingDuplicate<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (!isDuplicateKey(err) || attempt >= 2) throw err;
    }
  }
}

/** Deletes keys of one owner's state (`$unset`; a missing owner document stays missing). */
export async function unsetShared(
  coll: Collection<SharedStateDoc>,
  owner: AppOwner | UserOwner,
  keys: readonly string[],
  session: ClientSession | undefined,
): Promise<void> {
  if (keys.length === 0) return;
  const filter = 'userId' in owner ? userFilter(owner) : appFilter(owner);
  await coll.updateOne(filter, { $unset: stateUnsets('state', keys) }, { session });
}

/** Applies the `app:` and `user:` parts of a scoped delta (sets, then deletions) to the session's app and user. */
export async function writeSharedDelta(
  c: MongoCollections,
  session: ClientSession | undefined,
  k: { tenant: string; appName: string; userId: string },
  delta: Pick<ScopedDelta, 'app' | 'user' | 'unset'> | null | undefined,
): Promise<void> {
  if (!delta) return;
  const app = { tenant: k.tenant, appName: k.appName };
  const user = { tenant: k.tenant, appName: k.appName, userId: k.userId };
  await upsertShared(c.appState, app, delta.app, session);
  await upsertShared(c.userState, user, delta.user, session);
  await unsetShared(c.appState, app, delta.unset?.app ?? [], session);
  await unsetShared(c.userState, user, delta.unset?.user ?? [], session);
}

/** The stored app and user state of one session's owners, as entries. */
export async function readShared(
  c: MongoCollections,
  k: { tenant: string; appName: string; userId: string },
  session?: ClientSession,
): Promise<{ app: StateEntry[]; user: StateEntry[] }> {
  const [app, user] = await Promise.all([
    c.appState.findOne(appFilter(k), { session, projection: { state: 1 } }),
    c.userState.findOne(userFilter(k), { session, projection: { state: 1 } }),
  ]);
  return { app: stateEntries(app?.state), user: stateEntries(user?.state) };
}

/** App and user state for many sessions at once (a listing page): two queries whatever the page size. */
export async function readSharedMany(
  c: MongoCollections,
  keys: readonly { tenant: string; appName: string; userId: string }[],
): Promise<(k: { tenant: string; appName: string; userId: string }) => { app: StateEntry[]; user: StateEntry[] }> {
  const apps = new Map<string, AppOwner>();
  const users = new Map<string, UserOwner>();
  for (const k of keys) {
    apps.set(JSON.stringify([k.tenant, k.appName]), { tenant: k.tenant, appName: k.appName });
    users.set(JSON.stringify([k.tenant, k.appName, k.userId]), { tenant: k.tenant, appName: k.appName, userId: k.userId });
  }
  const [appDocs, userDocs] = await Promise.all([
    apps.size ? c.appState.find({ $or: [...apps.values()].map(appFilter) }).toArray() : [],
    users.size ? c.userState.find({ $or: [...users.values()].map(userFilter) }).toArray() : [],
  ]);
  const appState = new Map(appDocs.map((d) => [JSON.stringify([d.tenant, d.appName]), stateEntries(d.state)]));
  const userState = new Map(userDocs.map((d) => [JSON.stringify([d.tenant, d.appName, d.userId]), stateEntries(d.state)]));
  return (k) => ({
    app: appState.get(JSON.stringify([k.tenant, k.appName])) ?? [],
    user: userState.get(JSON.stringify([k.tenant, k.appName, k.userId])) ?? [],
  });
}
