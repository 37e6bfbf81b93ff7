import { uuidv7 } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { SessionStatus } from '../core/types.js';
import { currentCorrelationId } from './correlation.js';

/** What happened. The `session.*` types come from the manager (and the server, which runs one); `request` and `error` from the server and background work. */
export type LifecycleEventType =
  | 'session.created'
  | 'session.archived'
  | 'session.restored'
  | 'session.expired'
  | 'session.deleted'
  | 'session.recovered'
  | 'request'
  | 'error';

/** Where it happened: a session's lifecycle, the HTTP API, or background work (sweeps, buffered flushes). */
export type EventCategory = 'session' | 'http' | 'maintenance';

/** `info`: routine. `warning`: refused or degraded but expected (a 4xx, a capacity refusal). `error`: something failed (a 5xx, a failed sweep). */
export type EventSeverity = 'info' | 'warning' | 'error';

/** The session an event is about. */
export interface EventSession {
  tenant: string;
  appName: string;
  userId: string;
  sessionId: string;
}

/**
 * One lifecycle event, in the shape of an event-metrics log row (event type,
 * category, severity, correlation id, time, data). Passed to `onEvent` hooks,
 * counted in `/metrics` and sent to OpenTelemetry.
 */
export interface LifecycleEvent {
  type: LifecycleEventType;
  category: EventCategory;
  severity: EventSeverity;
  /**
   * Ties together what one piece of work caused: the HTTP request id
   * (`x-request-id`) inside the server, the id given to `withCorrelationId`
   * in your code, one id per sweep or flush in the background, else a new id.
   */
  correlationId: string;
  /** Epoch ms. */
  time: number;
  /** `session.*` events except a sweep's `session.expired`, which covers many sessions (see `count`). */
  session?: EventSession;
  /** The status a `session.*` event moved from (`session.restored`: `archived` or `expired`). */
  fromStatus?: SessionStatus;
  /** A sweep's `session.expired`: how many sessions it expired, and whether it marked or deleted them. */
  count?: number;
  mode?: 'mark' | 'delete';
  /** `request` (and HTTP `error`) events. `route` is the route pattern, never the names in the path. */
  request?: { method: string; route: string; status: number };
  /** `request` events: how long the request took. */
  durationMs?: number;
  /** `error` events: the error code (`unavailable`, `capacity`, `internal`, …) and a message without secrets. */
  error?: { code: string; message: string };
}

/** Receives events. A hook that throws (or rejects) is logged and ignored: it never breaks the call that caused the event. */
export type EventHook = (event: LifecycleEvent) => void | Promise<void>;

/** An event before the emitter stamps it: the correlation id and time are filled in when absent. */
export type EventInput = Omit<LifecycleEvent, 'correlationId' | 'time'> & { correlationId?: string; time?: number };

/**
 * Delivers events to listeners, each in its own try/catch. Costs one check
 * per event when nobody listens.
 */
export class EventHub {
  private readonly listeners = new Set<EventHook>();

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  /** Adds a listener; returns the function that removes it. */
  subscribe(hook: EventHook): () => void {
    this.listeners.add(hook);
    return () => this.listeners.delete(hook);
  }

  get listening(): boolean {
    return this.listeners.size > 0;
  }

  /** Stamps and delivers an event. `input` becomes the event (callers pass a fresh object): no copy per event. */
  emit(input: EventInput): void {
    if (this.listeners.size === 0) return;
    input.correlationId ??= currentCorrelationId() ?? uuidv7();
    input.time ??= this.now();
    const event = input as LifecycleEvent;
    for (const hook of this.listeners) {
      try {
        const result = hook(event);
        if (result && typeof (result as Promise<void>).catch === 'function') (result as Promise<void>).catch((err: unknown) => this.hookFailed(event, err));
      } catch (err) {
        this.hookFailed(event, err);
      }
    }
  }

  private hookFailed(event: LifecycleEvent, err: unknown): void {
    this.logger.error('sessiondb: an onEvent hook threw; the event was dropped for that hook', {
      type: event.type,
      correlationId: event.correlationId,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}
