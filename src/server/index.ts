export { createApp, type ApiKey, type AppOptions, type RequestLogger } from './app.js';
export { startServer, type RunningServer } from './serve.js';
