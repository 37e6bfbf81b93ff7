import { ValidationError } from '../../core/errors.js';
import type { StoreBackend } from '../registry.js';

/** `memory:` — the in-memory reference store. */
export const memoryBackend: StoreBackend<{ kind: 'memory' }> = {
  name: 'memory',
  schemes: ['memory'],
  example: 'memory:',
  claimsPath: (path) => path.toLowerCase() === 'memory',
  parse(url) {
    if (!/^memory(:(\/\/)?)?$/i.test(url.trim())) throw new ValidationError('url', 'memory: URLs take no path or parameters', 'Write just memory:.');
    return { kind: 'memory' };
  },
  async open(_location, options) {
    const { MemoryStore } = await import('./memory-store.js');
    return new MemoryStore({ limits: options.limits, clock: options.clock });
  },
  urlFromSettings: () => 'memory:',
};
