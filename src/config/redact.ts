import { isPlainObject } from '../core/json.js';
import { redactSecrets } from '../core/redact.js';

const MASK = '***';
/** Setting names whose values are secrets wherever they appear (`key`, `password`, `metricsToken`, `adminSecret`…). */
const SECRET_NAME = /^(key|password|passwd|secret|token)$|(Key|Password|Secret|Token)$/;
/** Setting names whose values are digests of secrets: shown shortened, enough to tell them apart. */
const DIGEST_NAME = /^sha256$/i;

/**
 * A store URL with every password replaced by `***`: the URL's own, a
 * `password=` parameter, and those of connection strings carried in its
 * parameters (such as `migrationUrl=postgres%3A%2F%2Fuser%3Apass%40…`).
 */
export function redactStoreUrl(url: string): string {
  const [base, query] = splitOnce(url, '?');
  if (query === undefined) return redactSecrets(url);
  const params = query.split('&').map((pair) => {
    const [name, value] = splitOnce(pair, '=');
    if (value === undefined) return pair;
    if (/password/i.test(name)) return `${name}=${MASK}`;
    let decoded: string;
    try {
      decoded = decodeURIComponent(value.replace(/\+/g, ' '));
    } catch {
      return redactSecrets(pair);
    }
    const redacted = redactSecrets(decoded);
    return redacted === decoded ? pair : `${name}=${encodeURIComponent(redacted).replace(/%2A/gi, '*')}`;
  });
  return `${redactSecrets(base)}?${params.join('&')}`;
}

/**
 * A copy of a configuration (or any JSON-like value) that is safe to print or
 * log: secret settings (`key`, `password`, `…Token`, `…Secret`) become `***`,
 * a `sha256` digest keeps its first 8 characters, and every string has its
 * URL passwords redacted.
 */
export function redactConfig<T>(value: T): T {
  return redactValue(value, '') as T;
}

function redactValue(value: unknown, name: string): unknown {
  if (typeof value === 'string') {
    if (SECRET_NAME.test(name)) return MASK;
    if (DIGEST_NAME.test(name)) return value.length > 8 ? `${value.slice(0, 8)}…` : MASK;
    return redactStoreUrl(value);
  }
  if (Array.isArray(value)) return value.map((item) => redactValue(item, name));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      Object.defineProperty(out, key, { value: redactValue(v, key), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

function splitOnce(text: string, sep: string): [string, string | undefined] {
  const i = text.indexOf(sep);
  return i < 0 ? [text, undefined] : [text.slice(0, i), text.slice(i + 1)];
}

/**
 * `text` (an error message, a log line) with the passwords of every URL in it
 * redacted as `redactStoreUrl` does, including those in URL parameters.
 */
export function redactText(text: string): string {
  return redactSecrets(text.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s"'<>()]+/gi, (url) => redactStoreUrl(url)));
}
