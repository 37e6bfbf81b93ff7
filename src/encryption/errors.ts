import { SessionDbError } from '../core/errors.js';
import type { Place } from './sealer.js';

/**
 * A sealed value could not be opened: its key id is not configured, it was
 * altered, or it was moved from another record (its authentication tag does
 * not match where it is). Never returned as data. The message names the record
 * and the field, never a key.
 */
export class SealedValueError extends SessionDbError {
  constructor(place: Place, problem: string, extra: Record<string, unknown> = {}) {
    const { what, details } = place.describe();
    super(
      'undecryptable',
      `Cannot open ${what}: ${problem}. ` +
        'Configure every key that sealed data (SESSIONDB_ENCRYPTION_KEYS, the newest first), or restore the record from a backup.',
      { ...details, ...extra },
    );
  }
}

/** What `searchEvents` answers on a store that seals event content: there is no plain text to search. */
export class SearchUnsupportedError extends SessionDbError {
  constructor() {
    super(
      'unsupported',
      'Full-text search is off: this store seals event content and session titles (encryption at rest), so it holds no text to search. ' +
        'Read sessions by key, or search in a copy of the data kept without encryption.',
      { feature: 'search' },
    );
  }
}
