/** A real `sessiondb serve` process for the benchmarks: started on a free port, its log in a file. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  /** Resident memory of the server process, in MiB. */
  rssMiB(): number;
  /** CPU time the server process has used (user + system), in seconds. */
  cpuSeconds(): number;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
const TICKS_PER_SECOND = 100; // Linux's USER_HZ

/**
 * Starts `sessiondb serve --db <db>`. The log goes to a file: a pipe nobody reads would fill
 * while the benchmark blocks, and make the server hold its log lines in memory.
 */
export async function startServe(db: string, env: Record<string, string> = {}): Promise<ServeProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'sessiondb-bench-serve-'));
  const logFile = join(dir, 'server.log');
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--db', db], {
    stdio: ['ignore', openSync(logFile, 'w'), 'inherit'],
    env: { PATH: process.env['PATH'] ?? '', ...env },
  });
  let url: string | null = null;
  for (let i = 0; i < 400 && !url; i++) {
    url = /"url":"(http:[^"]+)"/.exec(readFileSync(logFile, 'utf8'))?.[1] ?? null;
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}: ${readFileSync(logFile, 'utf8')}`);
    if (!url) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!url) throw new Error('the server did not start within 20 s');
  return {
    url,
    child,
    rssMiB: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024,
    cpuSeconds: () => {
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill(signal);
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Latencies (ms) of one kind of request, with percentiles. */
export class Latencies {
  private values: number[] = [];
  errors = 0;
  /** The first few failures, for the report. */
  errorSamples: string[] = [];
  fail(what: string): void {
    this.errors++;
    if (this.errorSamples.length < 3) this.errorSamples.push(what);
  }
  add(ms: number): void {
    this.values.push(ms);
  }
  get count(): number {
    return this.values.length;
  }
  percentile(p: number): number {
    if (!this.values.length) return NaN;
    const sorted = [...this.values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  }
}

/** Runs `fn` and records its time; a thrown error or a non-2xx response counts as an error. */
export async function timed(latencies: Latencies, fn: () => Promise<Response>): Promise<Response | null> {
  const t0 = performance.now();
  try {
    const res = await fn();
    if (!res.ok) {
      latencies.fail(`${res.status} ${(await res.text()).slice(0, 200)}`);
      return null;
    }
    latencies.add(performance.now() - t0);
    return res;
  } catch (err) {
    latencies.fail(String((err as Error).message));
    return null;
  }
}
