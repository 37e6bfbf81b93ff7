// Data for the web console's tests and screenshots, written through the HTTP API of a running server.

/** Calls the API; throws with the server's answer on anything but success. */
export async function apiCall<T = unknown>(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

interface SeedEvent {
  author: string;
  role?: 'user' | 'assistant' | 'tool' | 'system';
  content?: unknown;
  stateDelta?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  invocationId?: string;
}

export interface SeedSession {
  appName: string;
  userId: string;
  id: string;
  title?: string;
  model?: string;
  state?: Record<string, unknown>;
  status?: 'active' | 'archived';
  /** Minutes before now of the first event; events follow a few seconds apart. */
  startedMinutesAgo: number;
  events: SeedEvent[];
}

const MINUTE = 60_000;

/** Creates the session and appends its events with realistic timestamps. */
export async function seedSession(url: string, s: SeedSession, headers: Record<string, string> = {}): Promise<void> {
  const base = `/v1/apps/${encodeURIComponent(s.appName)}/users/${encodeURIComponent(s.userId)}/sessions`;
  const start = Date.now() - s.startedMinutesAgo * MINUTE;
  const body = { id: s.id, state: s.state, metadata: s.title ? { title: s.title } : {}, model: s.model ?? null, status: s.status, createdAt: start, updatedAt: start };
  await apiCall(url, 'POST', base, body, headers);
  if (s.events.length) {
    const events = s.events.map((e, i) => ({ ...e, timestamp: start + i * 7_000 + (e.role === 'user' ? 0 : 2_500) }));
    for (let i = 0; i < events.length; i += 500) {
      await apiCall(url, 'POST', `${base}/${encodeURIComponent(s.id)}/events`, { events: events.slice(i, i + 500) }, headers);
    }
  }
}

const user = (text: string): SeedEvent => ({ author: 'user', role: 'user', content: text });

/**
 * Conversations as the frameworks store them: ADK parts with function calls,
 * OpenAI items, AI SDK parts, plain text; state deltas in every scope.
 */
export const CONVERSATIONS: SeedSession[] = [
  {
    appName: 'support-bot',
    userId: 'ada',
    id: 'refund-teapot',
    title: 'Refund for a cracked teapot',
    model: 'gemini-2.5-flash',
    state: { 'app:refund_window_days': 30 },
    startedMinutesAgo: 14,
    events: [
      { ...user('Hi, my teapot arrived with a crack in the lid. Order A-1042. Can I get a refund?'), stateDelta: { 'user:name': 'Ada', order_id: 'A-1042' } },
      {
        author: 'support_agent',
        role: 'assistant',
        invocationId: 'inv-7f3a',
        content: { role: 'model', parts: [{ text: 'Let me look that order up.' }, { functionCall: { id: 'call-1', name: 'lookup_order', args: { orderId: 'A-1042', include: ['items', 'shipping'] } } }] },
      },
      {
        author: 'support_agent',
        role: 'tool',
        invocationId: 'inv-7f3a',
        content: {
          role: 'user',
          parts: [{ functionResponse: { id: 'call-1', name: 'lookup_order', response: { status: 'delivered', deliveredAt: '2026-11-19', items: [{ sku: 'TP-200', name: 'Cast-iron teapot', price: 48.5 }] } } }],
        },
        stateDelta: { order_status: 'delivered' },
      },
      {
        author: 'support_agent',
        role: 'assistant',
        invocationId: 'inv-7f3a',
        content: { role: 'model', parts: [{ text: 'I found order A-1042: a cast-iron teapot, delivered on 19 November. It is inside the 30-day window, so you can have a full refund of €48.50 or a replacement. Which would you prefer?' }] },
      },
      { ...user('A refund please. I would rather not risk another one.') },
      {
        author: 'support_agent',
        role: 'assistant',
        invocationId: 'inv-8c21',
        content: { role: 'model', parts: [{ functionCall: { id: 'call-2', name: 'issue_refund', args: { orderId: 'A-1042', amount: 48.5, currency: 'EUR', reason: 'damaged on arrival' } } }] },
      },
      {
        author: 'support_agent',
        role: 'tool',
        invocationId: 'inv-8c21',
        content: { role: 'user', parts: [{ functionResponse: { id: 'call-2', name: 'issue_refund', response: { refundId: 'R-5531', status: 'approved', eta: '3-5 business days' } } }] },
        stateDelta: { refund_id: 'R-5531', 'user:open_refunds': 1 },
      },
      {
        author: 'support_agent',
        role: 'assistant',
        invocationId: 'inv-8c21',
        content: { role: 'model', parts: [{ text: 'Done: refund R-5531 for €48.50 is approved and should reach your card in 3–5 business days. You do not need to send the teapot back.' }] },
      },
    ],
  },
  {
    appName: 'travel-planner',
    userId: 'grace',
    id: 'lisbon-weekend',
    title: 'Three days in Lisbon',
    model: 'gpt-4.1-mini',
    state: { 'user:home_airport': 'AMS' },
    startedMinutesAgo: 42,
    events: [
      user('Plan three days in Lisbon for early December. I like tiles, seafood and walking.'),
      { author: 'planner', role: 'assistant', content: [{ type: 'function_call', callId: 'fc_01', name: 'get_weather', arguments: '{"city":"Lisbon","month":"December"}' }] },
      { author: 'planner', role: 'tool', content: [{ type: 'function_call_result', callId: 'fc_01', name: 'get_weather', output: { type: 'text', text: '{"avgHighC":15,"rainyDays":10}' } }] },
      {
        author: 'planner',
        role: 'assistant',
        content: [
          {
            type: 'message',
            role: 'assistant',
            content: [{ type: 'output_text', text: 'Expect about 15 °C and some rain. Day 1: Alfama and the National Tile Museum. Day 2: Belém and a seafood lunch at a cervejaria. Day 3: Sintra by train.' }],
          },
        ],
        stateDelta: { itinerary_days: 3, 'temp:draft': 'not stored' },
      },
      user('Swap Sintra for something closer, I will be tired.'),
      { author: 'planner', role: 'assistant', content: 'Then spend day 3 in LX Factory and along the river to the MAAT, all on foot or by tram 15.', stateDelta: { itinerary_days: 3, day3: 'LX Factory + MAAT' } },
    ],
  },
  {
    appName: 'code-review',
    userId: 'linus',
    id: 'retry-budget-review',
    title: 'Review: retry budget in the HTTP client',
    model: 'claude-sonnet-4.5',
    startedMinutesAgo: 95,
    events: [
      user('Review the retry change: waits are jittered and capped at 30 s, with a 2 minute budget per call.'),
      {
        author: 'reviewer',
        role: 'assistant',
        content: [
          { type: 'text', text: 'Reading the diff first.' },
          { type: 'tool-call', toolCallId: 'tc-9', toolName: 'read_file', input: { path: 'src/client/retry.ts', lines: [1, 80] } },
        ],
      },
      { author: 'reviewer', role: 'tool', content: [{ type: 'tool-result', toolCallId: 'tc-9', toolName: 'read_file', output: { type: 'json', value: { lines: 80, truncated: false } } }] },
      { author: 'reviewer', role: 'assistant', content: 'Looks right. One nit: a 503 on a POST should not be retried unless the body carries ids; the append path does, the others do not.' },
    ],
  },
  {
    appName: 'support-bot',
    userId: 'grace',
    id: 'password-reset',
    title: 'Password reset loop',
    model: 'gemini-2.5-flash',
    status: 'archived',
    startedMinutesAgo: 60 * 26,
    events: [user('The reset link keeps sending me back to the login page.'), { author: 'support_agent', role: 'assistant', content: 'Your session cookie was stale; clearing it fixes the loop. Try the link again now.' }],
  },
  {
    appName: 'travel-planner',
    userId: 'margaret',
    id: 'kyoto-autumn',
    title: 'Kyoto in the autumn colours',
    model: 'gpt-4.1-mini',
    startedMinutesAgo: 60 * 5,
    events: [
      user('When are the autumn leaves best in Kyoto?'),
      { author: 'planner', role: 'assistant', content: 'Usually the last two weeks of November; Eikando and Tofukuji are the classic spots, busiest at weekends.' },
    ],
  },
  {
    appName: 'code-review',
    userId: 'margaret',
    id: 'flaky-test-triage',
    title: 'Triage: flaky PostgreSQL test',
    model: 'claude-sonnet-4.5',
    startedMinutesAgo: 60 * 30,
    events: [user('The pgbouncer conformance run failed once in twenty. Ideas?'), { author: 'reviewer', role: 'assistant', content: 'Look for a test that relies on session state: transaction pooling hands each statement to any backend.' }],
  },
];

/** A session with `count` alternating user/assistant events, for paging. */
export function longSession(id: string, count: number): SeedSession {
  return {
    appName: 'support-bot',
    userId: 'linus',
    id,
    title: `Long support thread (${count} messages)`,
    model: 'gemini-2.5-flash',
    startedMinutesAgo: 60 * 50,
    events: Array.from({ length: count }, (_, i) =>
      i % 2 === 0
        ? { author: 'user', role: 'user' as const, content: `Question ${i + 1}: is step ${i + 1} of the migration done?` }
        : { author: 'support_agent', role: 'assistant' as const, content: `Answer ${i + 1}: yes, step ${i} finished cleanly.`, stateDelta: { last_step: i } },
    ),
  };
}

const TOPICS = [
  ['Where is my order?', 'It left the warehouse this morning; the tracking link is in your e-mail.'],
  ['Change the delivery address', 'Done: the parcel now goes to the new address.'],
  ['Copy of last month\'s invoice', 'I have sent the invoice PDF to your account e-mail.'],
  ['Cancel my subscription', 'Your subscription ends at the close of this billing period.'],
  ['Discount code does not work', 'That code expired on Sunday; here is a new one that works until Friday.'],
] as const;

/** Older, short support sessions of one app (for paging): `count` of them, a few weeks old. */
export function olderSessions(count: number): SeedSession[] {
  return Array.from({ length: count }, (_, i) => {
    const [question, answer] = TOPICS[i % TOPICS.length]!;
    return {
      appName: 'shop-assistant',
      userId: `customer-${100 + (i % 17)}`,
      id: `shop-${String(i).padStart(3, '0')}`,
      title: question,
      model: i % 2 ? 'gpt-4.1-mini' : 'gemini-2.5-flash',
      startedMinutesAgo: 60 * 24 * 9 + i * 53,
      events: [user(question), { author: 'shop_agent', role: 'assistant', content: answer }],
    };
  });
}

/** Markup that would run if the console ever rendered content as HTML. */
export const XSS_PAYLOADS = [
  '<script>window.__xss = "script"; alert("script")</script>',
  '<img src=x onerror="window.__xss = \'img\'; alert(\'img\')">',
  '<svg onload="window.__xss = \'svg\'">',
  '"><iframe src="javascript:alert(1)"></iframe>',
];
