import type { SessionEvent } from '../../core/types.js';
import { canonicalOf, type PreparedMessage } from './messages.js';

/** What saving a list of messages over the stored chat does. */
export interface SavePlan {
  /** Stored messages that stay: the longest prefix the saved list shares with the stored one. */
  keep: number;
  /** Stored messages after `keep`, to rewind (they stay readable as superseded events). */
  supersede: number;
  /** Saved messages after `keep`, to append. */
  append: PreparedMessage[];
}

/**
 * Plans a save: the stored chat must end up equal to `saved`. A stored
 * message counts as kept only while it and the saved message at the same
 * position have the same id and the same content; from the first difference
 * on, the stored messages are rewound and the saved ones appended. So a
 * replayed save writes nothing, new messages are appended, a regenerated
 * answer (or an updated last message) replaces the stored tail, and a list
 * that differs earlier rewinds to where the two agree.
 */
export function planSave(stored: readonly SessionEvent[], saved: readonly PreparedMessage[]): SavePlan {
  let keep = 0;
  const shared = Math.min(stored.length, saved.length);
  while (keep < shared && stored[keep]!.id === saved[keep]!.id && canonicalOf(stored[keep]!) === saved[keep]!.canonical) keep++;
  return { keep, supersede: stored.length - keep, append: saved.slice(keep) };
}
