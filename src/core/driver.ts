import { MissingDependencyError } from './errors.js';

/**
 * Imports an optional driver package, turning "not installed" into a
 * `MissingDependencyError` that names the install command.
 */
export async function loadDriver<T>(pkg: string, forWhat: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      if (String((err as Error).message).includes(pkg)) throw new MissingDependencyError(pkg, forWhat, { cause: err });
    }
    throw err;
  }
}
