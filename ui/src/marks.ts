/**
 * Performance marks the benchmark reads (`bench/ui-render.ts`): set in the
 * frame that paints the first rows of a list or the first events of a
 * session, once per page load.
 */
export type RenderMark = 'sessiondb:sessions-rendered' | 'sessiondb:totals-rendered' | 'sessiondb:session-rendered' | 'sessiondb:search-rendered';

export function markRendered(name: RenderMark): void {
  if (performance.getEntriesByName(name).length) return;
  requestAnimationFrame(() => {
    if (!performance.getEntriesByName(name).length) performance.mark(name);
  });
}
