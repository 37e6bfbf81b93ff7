/**
 * The examples of the OpenAPI document, from one realistic conversation: app
 * "shop", user "u1", session "s1". Request bodies first: each is valid against
 * its route's body schema, and a test sends every one to a real app in this
 * order. Then response examples.
 */

/** A named example of a request body, as OpenAPI's Example Object. */
export interface BodyExample {
  summary: string;
  value: unknown;
}

type Examples = Record<string, BodyExample>;

const T0 = Date.UTC(2026, 10, 2, 9, 30); // 2 November 2026, 09:30 UTC

export const createSession: Examples = {
  withState: {
    summary: 'A session with an id, initial state in all three scopes, a title and a week to live',
    value: { id: 's1', state: { cart: [], 'user:name': 'Ada', 'app:currency': 'EUR' }, metadata: { title: 'Teapot order' }, model: 'gpt-4o-mini', ttlSeconds: 604_800 },
  },
  generatedId: { summary: 'Only a title; the id is generated (UUIDv7)', value: { metadata: { title: 'Refund question' } } },
};

export const importSession: Examples = {
  snapshot: {
    summary: 'A whole session with two events (send it with ?replace=true to overwrite one that exists)',
    value: {
      session: {
        appName: 'shop', userId: 'u1', id: 's1', metadata: { title: 'Teapot order' }, model: 'gpt-4o-mini', status: 'active',
        createdAt: T0, updatedAt: T0 + 4_000, lastActivityAt: T0 + 4_000, expiresAt: null, eventCount: 2, requestCount: 1, requestMsTotal: 840, version: 3,
      },
      state: { cart: ['TEA-01'] },
      events: [
        { id: 'e1', seq: 1, timestamp: T0 + 1_000, author: 'user', role: 'user', content: 'Add the blue teapot to my cart', stateDelta: { cart: ['TEA-01'] } },
        { id: 'e2', seq: 2, timestamp: T0 + 4_000, author: 'shop-agent', role: 'assistant', content: 'Done: one blue teapot (TEA-01) is in your cart.' },
      ],
    },
  },
};

export const updateSession: Examples = {
  archive: { summary: 'Archive the session', value: { status: 'archived' } },
  restore: { summary: 'Restore it (also marks activity now)', value: { status: 'active' } },
  metadataAndExpiry: { summary: 'New metadata and a day to live', value: { metadata: { title: 'Teapot order', priority: 'high' }, ttlSeconds: 86_400 } },
};

export const appendEvents: Examples = {
  userMessage: {
    summary: "One event: the user's message, with the state change it caused",
    value: { author: 'user', role: 'user', content: 'Add the blue teapot to my cart', stateDelta: { cart: ['TEA-01'] } },
  },
  toolCall: {
    summary: 'Several events at once: a tool call, its result and the answer (stored atomically)',
    value: {
      events: [
        { id: 'call-1', author: 'shop-agent', role: 'assistant', invocationId: 'inv-7', content: [{ type: 'tool_call', name: 'check_stock', arguments: { sku: 'TEA-01' } }] },
        { id: 'result-1', author: 'check_stock', role: 'tool', invocationId: 'inv-7', content: [{ type: 'tool_result', name: 'check_stock', result: { sku: 'TEA-01', inStock: 12 } }] },
        { id: 'answer-1', author: 'shop-agent', role: 'assistant', invocationId: 'inv-7', content: 'The blue teapot is in stock (12 left).', stateDelta: { 'temp:lastSku': 'TEA-01', step: 'checkout' } },
      ],
    },
  },
};

export const recordActivity: Examples = {
  oneRequest: { summary: 'One request that took 840 ms', value: { durationMs: 840 } },
  batch: { summary: 'Five requests counted at once by a buffering writer', value: { count: 5, durationMs: 3_900 } },
};

export const updateSessionState: Examples = {
  delta: {
    summary: 'Set a session key and a user key, delete another',
    value: { delta: { step: 'payment', 'user:name': 'Ada Lovelace', cart: null } },
  },
};

export const forkSession: Examples = {
  retry: { summary: 'Keep the first event only, in a new session "s1-retry"', value: { upToSeq: 1, newSessionId: 's1-retry' } },
};

export const rewindSession: Examples = {
  toFirst: { summary: 'Make event 1 the last one again', value: { toSeq: 1 } },
};

export const updateAppState: Examples = {
  plan: { summary: 'Two app keys', value: { 'app:plan': 'pro', 'app:currency': 'EUR' } },
};

export const updateUserState: Examples = {
  language: { summary: 'A user key', value: { 'user:lang': 'fr' } },
};

const invoice = {
  name: 'invoice-2041.pdf', uri: 's3://shop-files/invoices/2041.pdf', displayName: 'Invoice 2041', size: 48_213, mimeType: 'application/pdf',
  metadata: { source: 'upload' }, appName: 'shop', userId: 'u1', sessionId: 's1',
};

export const createFile: Examples = {
  invoice: { summary: "An invoice attached to session s1 (deleted with it)", value: invoice },
  standalone: { summary: 'A file of no session, expiring on 1 December 2026', value: { name: 'price-list.csv', uri: 'file:///srv/shop/price-list.csv', mimeType: 'text/csv', expiresAt: Date.UTC(2026, 11, 1) } },
};

export const putFile: Examples = {
  invoice: { summary: 'Create or replace the record with the id in the path', value: invoice },
};

export const sweepExpired: Examples = {
  mark: { summary: 'Mark what has expired as expired', value: { mode: 'mark' } },
  idle: { summary: 'Also expire sessions idle since 1 January 2026, and delete them', value: { idleBefore: Date.UTC(2026, 0, 1), mode: 'delete' } },
};

/*
 * Response examples, shown by the reference in place of generated placeholders. Each is
 * attached to its schema in `response-schemas.ts` (`.meta({ examples })`), and a test checks it
 * against that schema, field for field.
 */

export const userEvent = {
  id: 'e1', seq: 1, timestamp: T0 + 1_000, author: 'user', role: 'user', content: 'Add the blue teapot to my cart', stateDelta: { cart: ['TEA-01'] },
};

export const session = {
  tenant: 'default', appName: 'shop', userId: 'u1', id: 's1', metadata: { title: 'Teapot order' }, model: 'gpt-4o-mini', status: 'active',
  createdAt: T0, updatedAt: T0 + 4_000, lastActivityAt: T0 + 4_000, expiresAt: null, eventCount: 2, requestCount: 1, requestMsTotal: 840, version: 3,
  state: { 'app:currency': 'EUR', 'user:name': 'Ada', cart: ['TEA-01'] },
};

export const supersededEvent = {
  id: 'e3', seq: 3, timestamp: T0 + 9_000, author: 'shop-agent', role: 'assistant', content: 'The refund is 59.90 euros.', supersededAt: T0 + 60_000, supersededBy: 6,
};

export const stateChange = { atSeq: 0, kind: 'replace', set: { cart: [] }, unset: [] };

export const searchHit = {
  tenant: 'default', appName: 'shop', userId: 'u1', sessionId: 's1', field: 'content', event: userEvent, snippet: 'Add the blue **teapot** to my cart', score: 0.1335,
};

export const fileRecord = {
  tenant: 'default', id: 'f1', name: 'invoice-2041.pdf', uri: 's3://shop-files/invoices/2041.pdf', displayName: 'Invoice 2041', size: 48_213,
  mimeType: 'application/pdf', uploadedAt: T0 + 5_000, expiresAt: null, metadata: { source: 'upload' }, appName: 'shop', userId: 'u1', sessionId: 's1',
};

export const stats = {
  store: 'sqlite', sessions: 1_204, activeSessions: 1_180, archivedSessions: 20, expiredSessions: 4, events: 48_210, stateKeys: 3_702, files: 88, bytes: 25_165_824,
};

export const legacyStorageStats = {
  storage_type: 'sqlite', storage_path: './data/sessions.db', total_sessions: 1_204, active_sessions: 1_180, expiration_hours: null, auto_save: true, file_size_bytes: 26_214_400,
};

export const info = {
  store: 'sqlite',
  limits: { maxNameLength: 128, maxStateKeyLength: 256, maxEventContentBytes: 1_048_576, maxJsonBytes: 1_048_576, maxEventsPerAppend: 1_000, maxPageSize: 1_000 },
  schema: { current: 5, latest: 5, pending: [] },
  tenant: 'default',
  admin: false,
};

export const sessionKeyPage = { keys: [{ tenant: 'default', appName: 'shop', userId: 'u1', sessionId: 's1' }], nextCursor: null };

export const sharedStatePage = { items: [{ tenant: 'default', appName: 'shop', userId: 'u1', state: { 'user:name': 'Ada' } }], nextCursor: null };

export const sweepResult = { sessions: 3, files: 1 };

export const notFound = {
  error: {
    code: 'not_found',
    message: 'Session not found: app "shop", user "u1", session "s9". Create the session before writing to it.',
    details: { appName: 'shop', userId: 'u1', sessionId: 's9' },
  },
};
