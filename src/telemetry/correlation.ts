import { AsyncLocalStorage } from 'node:async_hooks';

/** What travels with one piece of work through every await: its correlation id, and the telemetry span it runs under (if any). */
export interface CorrelationScope {
  correlationId: string;
  /** The OpenTelemetry span of the request, so that lifecycle spans become its children. Opaque here. */
  span?: unknown;
}

const storage = new AsyncLocalStorage<CorrelationScope>();

/**
 * Runs `fn` with `correlationId` as the correlation id of every lifecycle
 * event it causes, through any number of awaits (the server does this with
 * each request id).
 */
export function withCorrelationId<T>(correlationId: string, fn: () => T): T {
  return storage.run({ correlationId }, fn);
}

/** Runs `fn` in a scope (the server's request middleware: the id and the request's span). */
export function withCorrelationScope<T>(scope: CorrelationScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/** The correlation id of the work running now, or undefined outside any. */
export function currentCorrelationId(): string | undefined {
  return storage.getStore()?.correlationId;
}

/** The scope of the work running now, or undefined outside any. */
export function currentCorrelationScope(): CorrelationScope | undefined {
  return storage.getStore();
}
