export { currentCorrelationId, withCorrelationId } from './correlation.js';
export type { EventCategory, EventHook, EventSession, EventSeverity, LifecycleEvent, LifecycleEventType } from './events.js';
