// Types only: erased at build time, so nothing here loads @opentelemetry/api until loadOpenTelemetry() runs.
import type * as OtelApi from '@opentelemetry/api';
import { currentCorrelationScope } from './correlation.js';
import type { LifecycleEvent } from './events.js';

/** A request's span, started when the request arrives and ended with its outcome. */
export interface RequestSpan {
  /** Runs `fn` with the span current (for instrumentation of what the request does, such as a database driver's). */
  run<T>(fn: () => T): T;
  /** The span, to put in the correlation scope so that lifecycle spans become its children. */
  readonly span: unknown;
  end(outcome: { route: string; status: number; requestId: string }): void;
}

/** Lifecycle events and requests turned into OpenTelemetry spans and metrics through the global API. */
export interface TelemetryBridge {
  /** Spans for lifecycle and error events, the `sessiondb.events` counter and the request-duration histogram. */
  record: (event: LifecycleEvent) => void;
  /**
   * A request's span, continuing the caller's trace when its headers carry one
   * (through the registered propagator, W3C `traceparent` with most SDKs).
   */
  startRequest(method: string, header: (name: string) => string | undefined): RequestSpan;
}

const NAME = 'sessiondb';
let loading: Promise<TelemetryBridge | null> | undefined;

/**
 * The bridge to `@opentelemetry/api`, or null when it is not installed. The
 * package is imported once, on the first call (never by importing
 * sessiondb); without an SDK registered by the application, the API is a
 * no-op and so is this.
 */
export function loadOpenTelemetry(): Promise<TelemetryBridge | null> {
  loading ??= import('@opentelemetry/api').then(
    (api) => createBridge(api),
    () => null,
  );
  return loading;
}

function createBridge(api: typeof OtelApi): TelemetryBridge {
  // The global tracer provider is a proxy (an SDK registered later is picked up); the meter provider is not,
  // so the instruments are looked up again whenever the registered provider changes.
  let tracerProvider: OtelApi.TracerProvider | undefined;
  let tracer: OtelApi.Tracer | undefined;
  const tracerNow = (): OtelApi.Tracer => {
    const provider = api.trace.getTracerProvider();
    if (provider !== tracerProvider || !tracer) {
      tracerProvider = provider;
      tracer = provider.getTracer(NAME);
    }
    return tracer;
  };
  let meterProvider: OtelApi.MeterProvider | undefined;
  let instruments: { events: OtelApi.Counter; duration: OtelApi.Histogram } | undefined;
  const instrumentsNow = () => {
    const provider = api.metrics.getMeterProvider();
    if (provider !== meterProvider || !instruments) {
      meterProvider = provider;
      const meter = provider.getMeter(NAME);
      instruments = {
        events: meter.createCounter('sessiondb.events', { description: 'Lifecycle events, by type, category and severity.' }),
        duration: meter.createHistogram('sessiondb.request.duration', { description: 'Time to answer an HTTP request.', unit: 's' }),
      };
    }
    return instruments;
  };
  /** The context a lifecycle span starts in: under the request's span when there is one. */
  const parentContext = (): OtelApi.Context => {
    const span = currentCorrelationScope()?.span as OtelApi.Span | undefined;
    return span ? api.trace.setSpan(api.context.active(), span) : api.context.active();
  };

  const record = (event: LifecycleEvent): void => {
    const { events, duration } = instrumentsNow();
    events.add(1, { 'sessiondb.event.type': event.type, 'sessiondb.event.category': event.category, 'sessiondb.event.severity': event.severity });
    if (event.type === 'request') {
      if (event.request && event.durationMs !== undefined) {
        duration.record(event.durationMs / 1000, {
          'http.request.method': event.request.method,
          'http.route': event.request.route,
          'http.response.status_code': event.request.status,
        });
      }
      return; // the request's own span is startRequest's
    }
    const attributes: OtelApi.Attributes = {
      'sessiondb.event.type': event.type,
      'sessiondb.event.category': event.category,
      'sessiondb.event.severity': event.severity,
      'sessiondb.correlation_id': event.correlationId,
    };
    if (event.session) {
      attributes['sessiondb.tenant'] = event.session.tenant;
      attributes['sessiondb.app_name'] = event.session.appName;
      attributes['sessiondb.user_id'] = event.session.userId;
      attributes['sessiondb.session_id'] = event.session.sessionId;
    }
    if (event.fromStatus) attributes['sessiondb.from_status'] = event.fromStatus;
    if (event.count !== undefined) attributes['sessiondb.count'] = event.count;
    if (event.mode) attributes['sessiondb.mode'] = event.mode;
    if (event.request) {
      attributes['http.request.method'] = event.request.method;
      attributes['http.route'] = event.request.route;
      attributes['http.response.status_code'] = event.request.status;
    }
    if (event.error) {
      attributes['error.type'] = event.error.code;
      attributes['sessiondb.error.message'] = event.error.message;
    }
    const start = event.durationMs === undefined ? event.time : event.time - event.durationMs;
    const span = tracerNow().startSpan(event.type, { kind: api.SpanKind.INTERNAL, startTime: start, attributes }, parentContext());
    if (event.severity === 'error') span.setStatus({ code: api.SpanStatusCode.ERROR, message: event.error?.message });
    span.end(event.time);
  };

  const getter: OtelApi.TextMapGetter<(name: string) => string | undefined> = { get: (header, key) => header(key), keys: () => [] };
  const startRequest = (method: string, header: (name: string) => string | undefined): RequestSpan => {
    const parent = api.propagation.extract(api.context.active(), header, getter);
    const span = tracerNow().startSpan(method, { kind: api.SpanKind.SERVER, attributes: { 'http.request.method': method } }, parent);
    if (!span.isRecording()) {
      // No SDK, or not sampled: nothing will see it. It still parents the lifecycle spans (so a
      // parent-based sampler drops them too), but costs no context switch or attributes.
      return { span, run: (fn) => fn(), end: () => span.end() };
    }
    const ctx = api.trace.setSpan(parent, span);
    return {
      span,
      run: (fn) => api.context.with(ctx, fn),
      end({ route, status, requestId }) {
        span.updateName(`${method} ${route}`);
        span.setAttributes({ 'http.route': route, 'http.response.status_code': status, 'sessiondb.request_id': requestId });
        // For a server span only 5xx is an error; a 4xx is the caller's (semantic conventions).
        if (status >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR });
        span.end();
      },
    };
  };

  return { record, startRequest };
}
