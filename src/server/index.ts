export { createApp, type ApiKey, type AppOptions, type RequestLogger } from './app.js';
export { TENANT_HEADER, type Caller } from './auth.js';
export { Metrics } from './metrics.js';
export type { RouteDef } from './routes.js';
export { startServer, type RunningServer } from './serve.js';
