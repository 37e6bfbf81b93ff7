/** Where a state key lives, by its prefix (as core's `splitDelta` routes it). */
export type StateScope = 'app' | 'user' | 'session' | 'temp';

export function scopeOf(key: string): StateScope {
  if (key.startsWith('app:')) return 'app';
  if (key.startsWith('user:')) return 'user';
  if (key.startsWith('temp:')) return 'temp';
  return 'session';
}

/** State entries ordered app, user, then session keys (as a read merges them), each by key. */
export function scopedEntries(state: Record<string, unknown>): { key: string; scope: StateScope; value: unknown }[] {
  const rank: Record<StateScope, number> = { app: 0, user: 1, session: 2, temp: 3 };
  return Object.entries(state)
    .map(([key, value]) => ({ key, scope: scopeOf(key), value }))
    .sort((a, b) => rank[a.scope] - rank[b.scope] || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
