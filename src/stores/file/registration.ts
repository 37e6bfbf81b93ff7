import { existsSync } from 'node:fs';
import { ValidationError } from '../../core/errors.js';
import type { StoreBackend } from '../registry.js';

/** `file:./data/sessions` — JSON files in a directory. */
export const fileBackend: StoreBackend<{ kind: 'file'; dir: string }> = {
  name: 'file',
  aliases: ['json'],
  schemes: ['file'],
  example: 'file:./path/to/dir',
  parse(url) {
    const text = url.trim();
    if (text.includes('?')) throw new ValidationError('url', 'file: URLs take no parameters');
    let dir = text.replace(/^file:/i, '');
    if (dir.startsWith('//')) dir = dir.slice(2);
    if (dir === '') throw new ValidationError('url', 'names no directory', 'Example: file:./data/sessions.');
    return { kind: 'file', dir: decodeURIComponent(dir) };
  },
  async open(location, options) {
    const { JsonFileStore } = await import('./file-store.js');
    return new JsonFileStore({ dir: location.dir, limits: options.limits, clock: options.clock });
  },
  exists: (location) => existsSync(location.dir),
  urlFromSettings: ({ connectionString, path }) => `file:${path ?? connectionString ?? './data/sessions'}`,
};
