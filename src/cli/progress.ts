import cliProgress from 'cli-progress';

/** Shows how far a long command is: a bar on a terminal, a plain line every few seconds otherwise, nothing with --json. */
export interface Progress {
  update(done: number, detail: Record<string, number>): void;
  stop(): void;
}

export function progress(label: string, total: number, options: { json: boolean; stream?: NodeJS.WriteStream }): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.json) return { update() {}, stop() {} };
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream, format: `${label} [{bar}] {value}/{total} sessions | {events} events | {duration_formatted}`, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(Math.max(total, 1), 0, { events: 0 });
    return {
      update(done, detail) {
        bar.setTotal(Math.max(total, done, 1));
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
      stream.write(`${label}: ${done}/${total} sessions${extra ? ', ' + extra : ''} (${Math.round((now - started) / 1000)} s)\n`);
    },
    stop() {},
  };
}
