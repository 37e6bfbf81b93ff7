/** One route as the table knows it: its method (any case) and its Hono path pattern. */
export interface RoutePattern {
  method: string;
  path: string;
}

/**
 * Route patterns compiled into regular expressions, for what the router
 * itself cannot say: which methods a path takes (the `Allow` header of a 405)
 * and which route a request answered before routing belongs to (a 413 from the
 * body limit), for metric labels. Only consulted off the hot path.
 */
export class RouteTable {
  private readonly entries: { method: string; path: string; re: RegExp }[];

  constructor(routes: readonly RoutePattern[]) {
    this.entries = routes.map((r) => ({ method: r.method.toUpperCase(), path: r.path, re: compile(r.path) }));
  }

  /** The methods `path` takes, in declaration order (HEAD after GET, as the router answers it), and its pattern; null for no route. */
  allowed(path: string): { methods: string[]; pattern: string } | null {
    const matches = this.entries.filter((e) => e.re.test(path));
    if (!matches.length) return null;
    const methods = [...new Set(matches.flatMap((e) => (e.method === 'GET' ? ['GET', 'HEAD'] : [e.method])))];
    return { methods, pattern: matches[0]!.path };
  }

  /** The pattern of the route a request goes to (by method, else by path alone), or "unmatched". */
  label(method: string, path: string): string {
    const m = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
    return (this.entries.find((e) => e.method === m && e.re.test(path)) ?? this.entries.find((e) => e.re.test(path)))?.path ?? 'unmatched';
  }
}

/** `/v1/apps/:app/state` → `^/v1/apps/[^/]+/state$`; a `*` matches the rest of the path. */
function compile(pattern: string): RegExp {
  const source = pattern
    .split(/(:\w+)/)
    .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\*/g, '.*')))
    .join('');
  return new RegExp(`^${source}$`);
}
