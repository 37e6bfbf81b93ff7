import type { SessionStore } from '../core/store.js';
import type { LifecycleEvent } from '../telemetry/events.js';

/** Request latency buckets, seconds. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Labels = Record<string, string>;

/**
 * The server's counters, written out in the Prometheus text format
 * (version 0.0.4) at `/metrics`:
 * - `sessiondb_http_requests_total{method,route,status}`
 * - `sessiondb_http_request_duration_seconds{method,route}` (histogram)
 * - `sessiondb_store_operations_total{operation,outcome}`
 * - `sessiondb_store_operation_duration_seconds_sum{operation}`
 * - `sessiondb_events_total{type,category,severity}` (lifecycle events)
 * - gauges added with `addGauge` (the server's `sessiondb_active_sessions`)
 * Routes are the route patterns (`/v1/apps/:app/...`), never the names in a
 * request, so the number of series stays bounded.
 */
export class Metrics {
  private readonly requests = new Map<string, { labels: Labels; value: number }>();
  private readonly latency = new Map<string, { labels: Labels; buckets: number[]; sum: number; count: number }>();
  private readonly storeOps = new Map<string, { labels: Labels; value: number }>();
  private readonly storeSeconds = new Map<string, { labels: Labels; value: number }>();
  private readonly events = new Map<string, { labels: Labels; value: number }>();
  private readonly gauges: { name: string; help: string; read: () => number | null }[] = [];

  recordRequest(method: string, route: string, status: number, seconds: number): void {
    bump(this.requests, { method, route, status: String(status) }, 1);
    const key = `${method} ${route}`;
    let h = this.latency.get(key);
    if (!h) this.latency.set(key, (h = { labels: { method, route }, buckets: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) if (seconds <= LATENCY_BUCKETS[i]!) h.buckets[i]!++;
    h.sum += seconds;
    h.count++;
  }

  recordStoreOperation(operation: string, ok: boolean, seconds: number): void {
    bump(this.storeOps, { operation, outcome: ok ? 'ok' : 'error' }, 1);
    bump(this.storeSeconds, { operation }, seconds);
  }

  /** Counts one lifecycle event (pass this as an `onEvent` hook). Labels are the event's type, category and severity: a bounded set. */
  readonly recordEvent = (event: LifecycleEvent): void => {
    const key = `${event.type} ${event.category} ${event.severity}`; // cheaper than bump's JSON key, on every request
    const c = this.events.get(key);
    if (c) c.value++;
    else this.events.set(key, { labels: { type: event.type, category: event.category, severity: event.severity }, value: 1 });
  };

  /** A value read when `/metrics` is scraped; left out while `read` returns null. */
  addGauge(name: string, help: string, read: () => number | null): void {
    this.gauges.push({ name, help, read });
  }

  /** The exposition text. */
  render(): string {
    const out: string[] = [];
    out.push('# HELP sessiondb_http_requests_total HTTP requests answered, by route pattern and status.');
    out.push('# TYPE sessiondb_http_requests_total counter');
    for (const c of this.requests.values()) out.push(`sessiondb_http_requests_total${labelText(c.labels)} ${c.value}`);
    out.push('# HELP sessiondb_http_request_duration_seconds Time to answer an HTTP request.');
    out.push('# TYPE sessiondb_http_request_duration_seconds histogram');
    for (const h of this.latency.values()) {
      LATENCY_BUCKETS.forEach((le, i) => out.push(`sessiondb_http_request_duration_seconds_bucket${labelText({ ...h.labels, le: String(le) })} ${h.buckets[i]}`));
      out.push(`sessiondb_http_request_duration_seconds_bucket${labelText({ ...h.labels, le: '+Inf' })} ${h.count}`);
      out.push(`sessiondb_http_request_duration_seconds_sum${labelText(h.labels)} ${h.sum}`);
      out.push(`sessiondb_http_request_duration_seconds_count${labelText(h.labels)} ${h.count}`);
    }
    out.push('# HELP sessiondb_store_operations_total Store calls, by operation and outcome.');
    out.push('# TYPE sessiondb_store_operations_total counter');
    for (const c of this.storeOps.values()) out.push(`sessiondb_store_operations_total${labelText(c.labels)} ${c.value}`);
    out.push('# HELP sessiondb_store_operation_duration_seconds_sum Total time spent in store calls, by operation.');
    out.push('# TYPE sessiondb_store_operation_duration_seconds_sum counter');
    for (const c of this.storeSeconds.values()) out.push(`sessiondb_store_operation_duration_seconds_sum${labelText(c.labels)} ${c.value}`);
    out.push('# HELP sessiondb_events_total Lifecycle events (session.created, request, error, …), by type, category and severity.');
    out.push('# TYPE sessiondb_events_total counter');
    for (const c of this.events.values()) out.push(`sessiondb_events_total${labelText(c.labels)} ${c.value}`);
    for (const g of this.gauges) {
      const value = g.read();
      if (value === null) continue;
      out.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} gauge`, `${g.name} ${value}`);
    }
    return out.join('\n') + '\n';
  }
}

/**
 * Wraps a store so every contract call is counted in `metrics`. The wrapper
 * is the store in every other respect (same object identity is not kept).
 */
export function instrumentStore(store: SessionStore, metrics: Metrics): SessionStore {
  const wrappers = new Map<string, (...args: unknown[]) => Promise<unknown>>(); // one per method, not one per call
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string' || prop === 'constructor') return value;
      let wrapper = wrappers.get(prop);
      if (wrapper) return wrapper;
      wrapper = async (...args: unknown[]) => {
        const t0 = performance.now();
        try {
          const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          metrics.recordStoreOperation(prop, true, (performance.now() - t0) / 1000);
          return result;
        } catch (err) {
          metrics.recordStoreOperation(prop, false, (performance.now() - t0) / 1000);
          throw err;
        }
      };
      wrappers.set(prop, wrapper);
      return wrapper;
    },
  });
}

function bump(map: Map<string, { labels: Labels; value: number }>, labels: Labels, by: number): void {
  const key = JSON.stringify(labels);
  const c = map.get(key);
  if (c) c.value += by;
  else map.set(key, { labels, value: by });
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return `{${parts.join(',')}}`;
}
