import { createHash, timingSafeEqual } from 'node:crypto';
import { SessionDbError, ValidationError } from '../core/errors.js';
import { DEFAULT_TENANT } from '../core/types.js';

/**
 * An API key and the tenant it is bound to. Give the key itself, or (better,
 * in config files) its sha-256 in hex. An `admin` key may act for any tenant
 * (naming it in the `X-Sessiondb-Tenant` header) and may call `/v1/admin/*`
 * (whole-store scans, sweeps, totals); give one only to operators' tools.
 */
export interface ApiKey {
  tenant: string;
  name?: string;
  key?: string;
  sha256?: string;
  admin?: boolean;
  /**
   * The key may only read: every write of the API is refused (403), and the
   * MCP server at `/mcp` lists no tool that writes.
   */
  readOnly?: boolean;
  /** Requests per minute this key may make (overrides the server-wide `rateLimitPerMinute`). */
  rateLimitPerMinute?: number;
}

/** Who a request acts as, once authenticated. */
export interface Caller {
  /** The tenant every read and write of the request is confined to. */
  tenant: string;
  admin: boolean;
  /** The key may only read (see `ApiKey.readOnly`). */
  readOnly: boolean;
  /** The key's name (for logs, metrics and rate limits); `null` without keys. */
  keyName: string | null;
  rateLimitPerMinute: number | undefined;
}

/** The header an admin key (or a keyless server's caller) names another tenant with. */
export const TENANT_HEADER = 'x-sessiondb-tenant';

interface StoredKey {
  hash: Buffer;
  tenant: string;
  name: string;
  admin: boolean;
  readOnly: boolean;
  rateLimitPerMinute: number | undefined;
}

/**
 * Resolves the caller of a request from its headers. Keys are compared by
 * their sha-256 in constant time. Without configured keys every caller is
 * trusted (the server then listens on loopback only) and acts as admin.
 */
export function createAuthenticator(apiKeys: readonly ApiKey[], defaultRateLimit?: number) {
  const keys: StoredKey[] = apiKeys.map((k) => ({
    hash: Buffer.from(k.sha256 ?? sha256(k.key ?? ''), 'hex'),
    tenant: k.tenant,
    name: k.name ?? k.tenant,
    admin: k.admin === true,
    readOnly: k.readOnly === true,
    rateLimitPerMinute: k.rateLimitPerMinute ?? defaultRateLimit,
  }));

  return function authenticate(header: (name: string) => string | undefined): Caller {
    const asked = header(TENANT_HEADER);
    if (asked !== undefined && (asked === '' || asked.length > 128)) {
      throw new SessionDbError('invalid', `Invalid ${TENANT_HEADER} header: give a tenant name of 1 to 128 characters.`, { field: TENANT_HEADER });
    }
    if (!keys.length) return { tenant: asked ?? DEFAULT_TENANT, admin: true, readOnly: false, keyName: null, rateLimitPerMinute: defaultRateLimit };

    const given = header('authorization')?.replace(/^Bearer\s+/i, '') ?? header('x-api-key');
    if (!given) throw new SessionDbError('unauthorized', 'An API key is required: send "Authorization: Bearer <key>".');
    const hash = Buffer.from(sha256(given), 'hex');
    const match = keys.find((k) => k.hash.length === hash.length && timingSafeEqual(k.hash, hash));
    if (!match) throw new SessionDbError('unauthorized', 'The API key is not valid.');
    if (asked !== undefined && asked !== match.tenant && !match.admin) {
      throw new SessionDbError(
        'forbidden',
        `This API key is bound to tenant "${match.tenant}" and cannot act for tenant "${asked}". Drop the ${TENANT_HEADER} header, or use that tenant's key.`,
      );
    }
    return { tenant: asked ?? match.tenant, admin: match.admin, readOnly: match.readOnly, keyName: match.name, rateLimitPerMinute: match.rateLimitPerMinute };
  };
}

/**
 * A secret that only lets its holder read `/metrics` (for a scraper): give
 * exactly one of the token itself (`key`) or, better in config files, its
 * sha-256 in hex (`sha256`).
 */
export interface MetricsToken {
  key?: string;
  sha256?: string;
}

/** Whether a request's bearer token is the metrics token (compared by sha-256, in constant time). */
export function createTokenCheck(token: MetricsToken): (header: (name: string) => string | undefined) => boolean {
  if ((token.key === undefined) === (token.sha256 === undefined)) {
    throw new ValidationError('metricsToken', 'must give exactly one of key or sha256');
  }
  if (token.sha256 !== undefined && !/^[0-9a-f]{64}$/i.test(token.sha256)) {
    throw new ValidationError('metricsToken.sha256', 'must be 64 hex digits (the sha-256 of the token)');
  }
  const expected = Buffer.from(token.sha256 ?? sha256(token.key!), 'hex');
  return (header) => {
    const given = header('authorization')?.replace(/^Bearer\s+/i, '');
    if (!given) return false;
    const hash = Buffer.from(sha256(given), 'hex');
    return hash.length === expected.length && timingSafeEqual(hash, expected);
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
