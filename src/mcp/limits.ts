import { ValidationError } from '../core/errors.js';

/** Bounds on what one MCP tool result or resource holds; beyond them, a cursor and a note. */
export interface McpLimits {
  /** The most events one result holds. Default 200. */
  maxEvents: number;
  /** The most UTF-8 bytes one result holds, its text and structured content together. Default 256 KiB. */
  maxBytes: number;
}

export const DEFAULT_MCP_LIMITS: Readonly<McpLimits> = Object.freeze({ maxEvents: 200, maxBytes: 256 * 1024 });

/** The smallest `maxBytes` that still leaves room for a page header, a note and one cut message. */
export const MIN_MAX_BYTES = 4096;

/** Fills in the defaults and checks what was given. */
export function resolveMcpLimits(partial: Partial<McpLimits> = {}): McpLimits {
  const limits = { ...DEFAULT_MCP_LIMITS, ...partial };
  if (!Number.isSafeInteger(limits.maxEvents) || limits.maxEvents < 1) {
    throw new ValidationError('limits.maxEvents', `must be a positive integer, got ${String(limits.maxEvents)}`);
  }
  if (!Number.isSafeInteger(limits.maxBytes) || limits.maxBytes < MIN_MAX_BYTES) {
    throw new ValidationError('limits.maxBytes', `must be an integer of at least ${MIN_MAX_BYTES}, got ${String(limits.maxBytes)}`);
  }
  return limits;
}
