import type { SearchHit } from '../core/types.js';
import { formatTime } from '../transfer/session-export.js';

const BOLD = '\u001b[1m';
const NORMAL = '\u001b[22m';

/** Control characters (escape sequences included) that stored text must not send to a terminal. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Search hits for people: one block per hit, a line naming where it is (app,
 * user, session, seq, author, time — or "title") and its snippet indented
 * below. The `**` marks around matched words become bold on a terminal
 * (`bold`), and stay as they are otherwise, so piped output keeps them.
 */
export function renderHits(hits: readonly SearchHit[], options: { bold: boolean }): string {
  const clean = (s: string) => s.replace(CONTROL, ' ');
  return hits
    .map((hit) => {
      const where = clean(`${hit.appName}/${hit.userId}/${hit.sessionId}`);
      const e = hit.event;
      const head = e
        ? `${where} · seq ${e.seq} · ${clean(e.author)}${e.role && e.role !== e.author ? ` (${e.role})` : ''} · ${formatTime(e.timestamp)}`
        : `${where} · title`;
      let snippet = clean(hit.snippet);
      if (options.bold) snippet = snippet.replace(/\*\*(.+?)\*\*/g, `${BOLD}$1${NORMAL}`);
      return `${head}\n  ${snippet}`;
    })
    .join('\n\n');
}
