import { formatRelative, formatTime } from '../lib/format.js';

/** A time as people read it (relative, or the local date and time), its exact value in `datetime` and the tooltip. */
export function TimeText({ ms, relative = false, seconds = false }: { ms: number; relative?: boolean; seconds?: boolean }) {
  const iso = new Date(ms).toISOString();
  return (
    <time dateTime={iso} title={`${formatTime(ms, true)} (${iso})`}>
      {relative ? formatRelative(ms, Date.now()) : formatTime(ms, seconds)}
    </time>
  );
}
