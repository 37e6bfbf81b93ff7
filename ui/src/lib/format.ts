const pad = (n: number) => String(n).padStart(2, '0');

/** `2026-11-21 09:31` in the browser's time zone. */
export function formatTime(ms: number, withSeconds = false): string {
  const d = new Date(ms);
  const base = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return withSeconds ? `${base}:${pad(d.getSeconds())}` : base;
}

/** `3 min ago`, `2 h ago`, `5 days ago`; the date itself past a month; `in 4 h` for the future. */
export function formatRelative(ms: number, now: number): string {
  const seconds = Math.round((now - ms) / 1000);
  const future = seconds < 0;
  const s = Math.abs(seconds);
  const say = (n: number, unit: string) => (future ? `in ${n} ${unit}` : `${n} ${unit} ago`);
  if (s < 45) return future ? 'in a moment' : 'just now';
  if (s < 3600) return say(Math.round(s / 60), 'min');
  if (s < 86_400) return say(Math.round(s / 3600), 'h');
  if (s < 30 * 86_400) {
    const days = Math.round(s / 86_400);
    return say(days, days === 1 ? 'day' : 'days');
  }
  return formatTime(ms).slice(0, 10);
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** A JSON value for reading: pretty-printed, two spaces. */
export function prettyJson(value: unknown): string {
  const text = JSON.stringify(value, null, 2);
  return text === undefined ? String(value) : text;
}

/** A JSON value on one line, cut at `max` characters. */
export function shortJson(value: unknown, max = 120): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A file name made of the safe characters of `id` (a session id may hold anything but control characters). */
export function downloadName(id: string, extension: string): string {
  const base = id.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[.]+/, '').slice(0, 120) || 'session';
  return `${base}.${extension}`;
}
