/**
 * Replaces the password in every URL-shaped credential (`scheme://user:pass@host`)
 * and every `password=...` pair in `text` with `***`, so that connection strings
 * can appear in errors and logs.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)[^@\s]*@/gi, '$1***@')
    .replace(/(password\s*=\s*)('[^']*'|"[^"]*"|[^\s;&]+)/gi, '$1***');
}
