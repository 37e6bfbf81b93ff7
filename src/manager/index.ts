export { SessionManager, type ManagerStatistics, type SessionManagerOptions, type StartupInfo } from './session-manager.js';
export { nodeScheduler, type Scheduler } from './scheduler.js';
