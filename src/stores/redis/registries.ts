import type { Limits } from '../../core/limits.js';
import { resolveScan, scanCursor } from '../../core/paging.js';
import type { ScanQuery } from '../../core/types.js';
import type { RedisConnection } from './connection.js';
import { keys, type RedisLayout } from './layout.js';

/** Members read per step when walking a registry. */
export const REGISTRY_BATCH = 200;

/**
 * Walks the registries that stand in for a keyspace scan: the global tenant
 * registry and, per tenant, lexicographic sorted sets of session keys, apps and
 * users with shared state, and file ids. Every walk is in key order, in pages.
 */
export class Registries {
  private readonly global: string;

  constructor(
    private readonly conn: RedisConnection,
    private readonly layout: RedisLayout,
    private readonly limits: Limits,
  ) {
    this.global = layout.global();
  }

  /** The tenant after `after` (the first when null), or null. */
  async nextTenant(after: string | null): Promise<string | null> {
    const [next] = await this.conn.send<string[]>(this.global, ['ZRANGEBYLEX', keys.tenants(this.global), after === null ? '-' : `(${after}`, '+', 'LIMIT', '0', '1']);
    return next ?? null;
  }

  async allTenants(): Promise<string[]> {
    const out: string[] = [];
    await this.eachMember(this.global, keys.tenants(this.global), async (members) => void out.push(...members));
    return out;
  }

  /** Visits a lexicographic sorted set in pages. */
  async eachMember(routing: string, key: string, visit: (members: string[]) => Promise<void>): Promise<void> {
    let start = '-';
    for (;;) {
      const members = await this.conn.send<string[]>(routing, ['ZRANGEBYLEX', key, start, '+', 'LIMIT', '0', String(REGISTRY_BATCH)]);
      if (members.length > 0) await visit(members);
      if (members.length < REGISTRY_BATCH) return;
      start = `(${members[members.length - 1]}`;
    }
  }

  /**
   * One page of a whole-store scan: the registry `registry(tenantBase)` of
   * every tenant in turn, each member split on NUL after its tenant. `keep`
   * loads the page and may drop members whose data is gone.
   */
  async scanPage(
    kind: string,
    width: number,
    query: ScanQuery | undefined,
    registry: (tenantBase: string) => string,
    keep: (found: string[][]) => Promise<string[][]>,
  ): Promise<{ items: string[][]; nextCursor: string | null }> {
    const { limit, after } = resolveScan(kind, width, query, this.limits);
    const found: string[][] = [];
    let tenant = after ? after[0]! : await this.nextTenant(null);
    let start = after ? `(${after.slice(1).join('\u0000')}` : '-';
    while (tenant !== null && found.length <= limit) {
      const base = this.layout.tenant(tenant);
      const want = limit + 1 - found.length;
      const members = await this.conn.send<string[]>(base, ['ZRANGEBYLEX', registry(base), start, '+', 'LIMIT', '0', String(want)]);
      for (const m of members) found.push([tenant, ...m.split('\u0000')]);
      if (members.length < want) {
        tenant = await this.nextTenant(tenant);
        start = '-';
      }
    }
    const page = found.slice(0, limit);
    return { items: await keep(page), nextCursor: found.length > limit ? scanCursor(kind, page[page.length - 1]!) : null };
  }
}
