import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { StoreStats } from '../../core/types.js';

const WORKER_URL = new URL('./stats-worker.js', import.meta.url);

/**
 * Reads totals on a worker thread (started on first use, one per store,
 * unreferenced so that it never keeps the process alive). `available` is
 * false when the compiled worker is not beside this module (running from
 * TypeScript sources): the store then reads them on its own thread.
 */
export class StatsThread {
  private worker: Worker | null = null;
  private next = 0;
  private readonly waiting = new Map<number, { resolve(s: StoreStats): void; reject(e: Error): void }>();

  constructor(
    private readonly path: string,
    private readonly busyTimeoutMs: number,
  ) {}

  static get available(): boolean {
    return WORKER_URL.protocol === 'file:' && existsSync(fileURLToPath(WORKER_URL));
  }

  read(tenant: string | undefined): Promise<StoreStats> {
    const worker = this.start();
    const id = ++this.next;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, tenant });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_URL, { workerData: { path: this.path, busyTimeoutMs: this.busyTimeoutMs } });
    worker.unref();
    worker.on('message', (m: { id: number; stats?: StoreStats; error?: string }) => {
      const waiter = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.stats) waiter?.resolve(m.stats);
      else waiter?.reject(new Error(m.error ?? 'the statistics worker failed'));
    });
    const fail = (err: Error) => {
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
      if (this.worker === worker) this.worker = null;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the statistics worker exited (${code})`)));
    this.worker = worker;
    return worker;
  }
}
