import { open } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import type { MigrationProgress } from '../core/store.js';

/** Shows how far a long command is: a bar on a terminal, a plain line every few seconds otherwise, nothing with --json. */
export interface Progress {
  update(done: number, detail: Record<string, number>): void;
  stop(): void;
}

/** `total` null: not known in advance (the bar then grows with the work done). */
export function progress(label: string, total: number | null, options: { json: boolean; stream?: NodeJS.WriteStream }): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.json) return { update() {}, stop() {} };
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream, format: `${label} [{bar}] {value}/{total} sessions | {events} events | {duration_formatted}`, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(Math.max(total ?? 0, 1), 0, { events: 0 });
    return {
      update(done, detail) {
        bar.setTotal(Math.max(total ?? 0, done, 1));
        bar.update(done, detail);
      },
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  const started = Date.now();
  return {
    update(done, detail) {
      const now = Date.now();
      if (now - last < 2000) return;
      last = now;
      const extra = Object.entries(detail).map(([k, v]) => `${v} ${k}`).join(', ');
      stream.write(`${label}: ${done}${total === null ? '' : `/${total}`} sessions${extra ? ', ' + extra : ''} (${Math.round((now - started) / 1000)} s)\n`);
    },
    stop() {},
  };
}

/**
 * The number of sessions a dump holds, from its end record (the last line), read
 * without reading the whole file; null when the file has no end record.
 */
export async function dumpTotals(path: string): Promise<number | null> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const length = Math.min(size, 64 * 1024);
    const { buffer, bytesRead } = await file.read(Buffer.alloc(length), 0, length, size - length);
    const last = buffer.subarray(0, bytesRead).toString('utf8').trimEnd().split('\n').pop() ?? '';
    const record = JSON.parse(last) as { type?: unknown; counts?: { sessions?: unknown } };
    return record.type === 'end' && typeof record.counts?.sessions === 'number' ? record.counts.sessions : null;
  } catch {
    return null;
  } finally {
    await file.close();
  }
}

/**
 * A `migrate({ onProgress })` callback that prints a long step's progress to
 * `stream` (default stderr) as lines such as `search index: 120000/1000000 (12%)`:
 * the first report of a step, then at most one line per `intervalMs`, and its last.
 */
export function migrationProgress(options: { stream?: NodeJS.WritableStream; intervalMs?: number; now?: () => number } = {}): (p: MigrationProgress) => void {
  const stream = options.stream ?? process.stderr;
  const interval = options.intervalMs ?? 1000;
  const now = options.now ?? Date.now;
  const last = new Map<string, { at: number; done: number }>();
  return (p) => {
    const seen = last.get(p.step);
    const finished = p.total > 0 && p.done >= p.total;
    if (seen && (seen.done === p.done || (!finished && now() - seen.at < interval))) return;
    last.set(p.step, { at: now(), done: p.done });
    const percent = p.total > 0 ? Math.floor((p.done * 100) / p.total) : 100;
    stream.write(`${p.step}: ${p.done}/${p.total} (${percent}%)\n`);
  };
}
