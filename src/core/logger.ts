/**
 * The minimal logger the library writes to (pino, console and most loggers fit).
 * Messages never contain passwords: stores redact connection strings first.
 */
export interface Logger {
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** The default: the library logs nothing unless given a logger. */
export const silentLogger: Logger = { warn() {}, error() {} };
