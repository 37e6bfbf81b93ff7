import assert from 'node:assert/strict';
import { isSessionDbError } from '../../core/errors.js';
import type { SearchHit, SearchQuery, SessionKey } from '../../core/types.js';
import { rejectsWith, type CaseContext, type ConformanceCase } from '../harness.js';

const group = 'search';
let tenants = 0;

/** A key in a tenant no other case uses, so that a search sees only what the case wrote. */
function isolated(t: CaseContext, overrides: Partial<SessionKey> = {}): SessionKey {
  return t.key({ tenant: `search-${process.pid}-${++tenants}-${Date.now().toString(36)}`, ...overrides });
}

const ids = (hits: SearchHit[]) => hits.map((h) => (h.event ? h.event.id : `title:${h.sessionId}`));

const cases: ConformanceCase[] = [
  {
    group,
    name: 'finds an event as soon as its append returns, with its session, the stored event, a marked snippet and a score',
    async run(t) {
      const k = await t.session(isolated(t));
      const { events } = await t.store.appendEvents(k, [
        { id: 'e1', author: 'user', role: 'user', content: 'Where is my parcel? It was due on Monday.' },
        { id: 'e2', author: 'agent', role: 'assistant', content: 'Your refund was approved yesterday.' },
      ]);
      const page = await t.store.searchEvents({ tenant: k.tenant, query: 'refund' });
      assert.equal(page.hits.length, 1);
      const hit = page.hits[0]!;
      assert.deepEqual(
        { tenant: hit.tenant, appName: hit.appName, userId: hit.userId, sessionId: hit.sessionId, field: hit.field },
        { tenant: k.tenant, appName: k.appName, userId: k.userId, sessionId: k.sessionId, field: 'content' },
      );
      assert.deepEqual(hit.event, events[1]);
      assert.match(hit.snippet, /\*\*refund\*\*/);
      assert.ok(typeof hit.score === 'number' && hit.score > 0, `score ${hit.score}`);
      assert.equal(page.nextCursor, null);
      assert.deepEqual((await t.store.searchEvents({ tenant: k.tenant, query: 'nothing-like-this-here' })).hits, []);
    },
  },
  {
    group,
    name: 'searches the text parts of structured content and tool names, not ids or bytes',
    async run(t) {
      const k = await t.session(isolated(t));
      await t.store.appendEvents(k, [
        { id: 'adk', author: 'agent', content: { role: 'model', parts: [{ text: 'Checking the forecast.' }, { functionCall: { id: 'call-zebra', name: 'get_weather', args: { city: 'Lisbon' } } }] } },
        { id: 'oai', author: 'agent', content: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Sunny skies ahead' }] }] },
        { id: 'bytes', author: 'user', content: { parts: [{ inlineData: { mimeType: 'image/png', data: 'c3Vubnk=' } }] } },
      ]);
      const find = async (query: string) => ids((await t.store.searchEvents({ tenant: k.tenant, query })).hits).sort();
      assert.deepEqual(await find('forecast'), ['adk']);
      assert.deepEqual(await find('get_weather'), ['adk']);
      assert.deepEqual(await find('weather'), ['adk']);
      assert.deepEqual(await find('sunny skies'), ['oai']);
      assert.deepEqual(await find('zebra'), []);
      assert.deepEqual(await find('c3Vubnk'), []);
    },
  },
  {
    group,
    name: 'finds session titles (metadata.title) as title hits, and follows title changes',
    async run(t) {
      const k = await t.session(isolated(t), { metadata: { title: 'Quarterly budget review' } });
      await t.store.appendEvents(k, [{ author: 'user', role: 'user', content: 'numbers please' }]);
      let hits = (await t.store.searchEvents({ tenant: k.tenant, query: 'budget' })).hits;
      assert.equal(hits.length, 1);
      assert.equal(hits[0]!.field, 'title');
      assert.equal(hits[0]!.event, null);
      assert.equal(hits[0]!.sessionId, k.sessionId);
      assert.match(hits[0]!.snippet, /\*\*budget\*\*/);
      assert.deepEqual((await t.store.searchEvents({ tenant: k.tenant, query: 'budget', role: 'user' })).hits, [], 'a role filter leaves titles out');
      await t.store.updateSession(k, { metadata: { title: 'Holiday planning' } });
      assert.deepEqual((await t.store.searchEvents({ tenant: k.tenant, query: 'budget' })).hits, []);
      hits = (await t.store.searchEvents({ tenant: k.tenant, query: 'holiday' })).hits;
      assert.deepEqual(ids(hits), [`title:${k.sessionId}`]);
    },
  },
  {
    group,
    name: 'ranks a short text full of the words above a long text that mentions them once; every word must occur',
    async run(t) {
      const k = await t.session(isolated(t));
      const filler = Array.from({ length: 60 }, (_, i) => `filler${i}`).join(' ');
      await t.store.appendEvents(k, [
        { id: 'long', author: 'u', content: `${filler} apple pie ${filler}` },
        { id: 'short', author: 'u', content: 'apple pie, apple pie, apple pie' },
        { id: 'half', author: 'u', content: 'apple crumble' },
      ]);
      const hits = (await t.store.searchEvents({ tenant: k.tenant, query: 'apple pie' })).hits;
      assert.deepEqual(ids(hits), ['short', 'long']);
      assert.ok(hits[0]!.score > hits[1]!.score, `scores ${hits.map((h) => h.score)}`);
    },
  },
  {
    group,
    name: 'the query language: "phrases", -exclusion, prefix*, punctuation inside words',
    async run(t) {
      const k = await t.session(isolated(t));
      await t.store.appendEvents(k, [
        { id: 'fox', author: 'u', content: 'The quick brown fox jumps.' },
        { id: 'rev', author: 'u', content: 'Brown and quick, the dog.' },
        { id: 'refunded', author: 'u', content: 'The order was refunded in full.' },
        { id: 'mail', author: 'u', content: 'Send an e-mail to ops@example.com today.' },
      ]);
      const find = async (query: string) => ids((await t.store.searchEvents({ tenant: k.tenant, query })).hits).sort();
      assert.deepEqual(await find('"quick brown"'), ['fox']);
      assert.deepEqual(await find('quick brown'), ['fox', 'rev']);
      assert.deepEqual(await find('quick -fox'), ['rev']);
      assert.deepEqual(await find('quick -"brown fox"'), ['rev']);
      assert.deepEqual(await find('refun*'), ['refunded']);
      assert.deepEqual(await find('refun'), []);
      assert.deepEqual(await find('"the ord*'), ['refunded'], 'an unclosed quote runs to the end');
      assert.deepEqual(await find('e-mail'), ['mail']);
      assert.deepEqual(await find('ops@example.com'), ['mail']);
      assert.deepEqual(await find('example.com -ops'), []);
      assert.deepEqual(await find('QUICK BROWN FOX'), ['fox']);
    },
  },
  {
    group,
    name: 'filters by app, user, session, role, author, time and status',
    async run(t) {
      const a = await t.session(isolated(t));
      const tenant = a.tenant!;
      const b = await t.session(t.key({ tenant, appName: a.appName }));
      const c = await t.session(t.key({ tenant }));
      const at = 1_700_000_000_000;
      await t.store.appendEvents(a, [
        { id: 'a1', author: 'user', role: 'user', timestamp: at, content: 'kiwi one' },
        { id: 'a2', author: 'helper', role: 'assistant', timestamp: at + 1000, content: 'kiwi two' },
      ]);
      await t.store.appendEvents(b, [{ id: 'b1', author: 'user', role: 'user', timestamp: at + 2000, content: 'kiwi three' }]);
      await t.store.appendEvents(c, [{ id: 'c1', author: 'user', role: 'tool', timestamp: at + 3000, content: 'kiwi four' }]);
      await t.store.updateSession(c, { status: 'archived' });
      const find = async (q: Omit<SearchQuery, 'query' | 'tenant'>) => ids((await t.store.searchEvents({ tenant, query: 'kiwi', ...q })).hits).sort();
      assert.deepEqual(await find({}), ['a1', 'a2', 'b1', 'c1']);
      assert.deepEqual(await find({ appName: a.appName }), ['a1', 'a2', 'b1']);
      assert.deepEqual(await find({ appName: a.appName, userId: b.userId }), ['b1']);
      assert.deepEqual(await find({ sessionId: a.sessionId }), ['a1', 'a2']);
      assert.deepEqual(await find({ role: 'user' }), ['a1', 'b1']);
      assert.deepEqual(await find({ author: 'helper' }), ['a2']);
      assert.deepEqual(await find({ after: at + 1000 }), ['a2', 'b1', 'c1']);
      assert.deepEqual(await find({ before: at + 1000 }), ['a1']);
      assert.deepEqual(await find({ after: at + 1000, before: at + 3000 }), ['a2', 'b1']);
      assert.deepEqual(await find({ status: 'archived' }), ['c1']);
      assert.deepEqual(await find({ status: 'active', role: 'tool' }), []);
    },
  },
  {
    group,
    name: 'a search sees its own tenant only',
    async run(t) {
      const mine = await t.session(isolated(t));
      const theirs = await t.session(isolated(t, { appName: mine.appName, userId: mine.userId, sessionId: mine.sessionId }));
      await t.store.appendEvents(mine, [{ id: 'm', author: 'u', content: 'secret mango plan' }]);
      await t.store.appendEvents(theirs, [{ id: 't', author: 'u', content: 'secret mango plan' }]);
      const hits = (await t.store.searchEvents({ tenant: mine.tenant, query: 'mango' })).hits;
      assert.deepEqual(ids(hits), ['m']);
      assert.equal(hits[0]!.tenant, mine.tenant);
      assert.deepEqual(ids((await t.store.searchEvents({ tenant: theirs.tenant, query: 'mango' })).hits), ['t']);
      assert.deepEqual((await t.store.searchEvents({ query: 'mango' })).hits.filter((h) => h.tenant !== 'default'), [], 'the default tenant sees neither');
    },
  },
  {
    group,
    name: 'a deleted session disappears from results, with its title',
    async run(t) {
      const gone = await t.session(isolated(t), { metadata: { title: 'papaya notes' } });
      const kept = await t.session(t.key({ tenant: gone.tenant }));
      await t.store.appendEvents(gone, [{ id: 'g', author: 'u', content: 'papaya smoothie' }]);
      await t.store.appendEvents(kept, [{ id: 'k', author: 'u', content: 'papaya salad' }]);
      assert.equal((await t.store.searchEvents({ tenant: gone.tenant, query: 'papaya' })).hits.length, 3);
      assert.equal(await t.store.deleteSession(gone), true);
      assert.deepEqual(ids((await t.store.searchEvents({ tenant: gone.tenant, query: 'papaya' })).hits), ['k']);
    },
  },
  {
    group,
    name: 'any query, however malformed, is a result or a clear invalid, never a database error',
    async run(t) {
      const k = await t.session(isolated(t));
      await t.store.appendEvents(k, [{ id: 'x', author: 'u', content: 'AND OR NOT NEAR plain words (with) "quotes" and col:on' }]);
      const queries = [
        '"', '""', '-', '--', '*', '**', 'a*', '(', ')', '((plain', 'NEAR(plain', 'plain AND', 'OR', 'NOT plain', 'AND OR NOT',
        'col:on', 'col:', '^plain', 'plain^2', "'; DROP TABLE events; --", '\\', '\\"plain', 'plain"', '"plain words', '!!!', '&|!<->',
        'plain:*', "'plain'", 'plain & words', 'plain | words', 'plain <-> words', '{plain}', '[x]', '%', '_', 'x'.repeat(200), '-plain -words',
        '\u0000plain', 'plain\u0000', '💥', 'plain 💥', '"-"', '"*"', 'with)', '"(with)"',
      ];
      for (const query of queries) {
        try {
          const page = await t.store.searchEvents({ tenant: k.tenant, query });
          assert.ok(Array.isArray(page.hits), `query ${JSON.stringify(query)} gave no hits array`);
        } catch (err) {
          assert.ok(isSessionDbError(err) && (err.code === 'invalid' || err.code === 'too_large'), `query ${JSON.stringify(query)} failed with ${String(err)}`);
        }
      }
      const find = async (query: string) => ids((await t.store.searchEvents({ tenant: k.tenant, query })).hits);
      assert.deepEqual(await find('AND OR NOT'), ['x'], 'operator words of a database are plain words here');
      assert.deepEqual(await find('NEAR(plain'), ['x']);
      assert.deepEqual(await find('col:on'), ['x']);
      assert.deepEqual(await find("'; DROP TABLE events; --"), []);
      await rejectsWith(t.store.searchEvents({ tenant: k.tenant, query: '' }), 'invalid', 'query');
      await rejectsWith(t.store.searchEvents({ tenant: k.tenant, query: '-plain' }), 'invalid', 'query');
      await rejectsWith(t.store.searchEvents({ tenant: k.tenant, query: '💥' }), 'invalid', 'query');
      await rejectsWith(t.store.searchEvents({ tenant: k.tenant, query: 'x'.repeat(5000) }), 'too_large', 'query');
      await rejectsWith(t.store.searchEvents({ tenant: k.tenant, query: 7 as unknown as string }), 'invalid', 'query');
      await rejectsWith(t.store.searchEvents({ tenant: k.tenant, query: 'plain', role: 'robot' as 'user' }), 'invalid', 'role');
      await rejectsWith(t.store.searchEvents({ tenant: k.tenant, query: 'plain', limit: 0 }), 'invalid', 'limit');
      await rejectsWith(t.store.searchEvents({ tenant: k.tenant, query: 'plain', cursor: 'nope' }), 'invalid', 'cursor');
    },
  },
  {
    group,
    name: 'unicode: case and accents are folded, scripts other than Latin are found',
    async run(t) {
      const k = await t.session(isolated(t));
      await t.store.appendEvents(k, [
        { id: 'fr', author: 'u', content: 'Une crème brûlée, s’il vous plaît.' },
        { id: 'el', author: 'u', content: 'Καλημέρα κόσμε' },
        { id: 'ru', author: 'u', content: 'Привет, мир!' },
        { id: 'de', author: 'u', content: 'Straße und Größe' },
        { id: 'emoji', author: 'u', content: 'party time 🎉🎉' },
      ]);
      const find = async (query: string) => ids((await t.store.searchEvents({ tenant: k.tenant, query })).hits);
      assert.deepEqual(await find('creme brulee'), ['fr']);
      assert.deepEqual(await find('CRÈME'), ['fr']);
      assert.deepEqual(await find('καλημερα'), ['el']);
      assert.deepEqual(await find('ΚΌΣΜΕ'), ['el']);
      assert.deepEqual(await find('привет'), ['ru']);
      assert.deepEqual(await find('мир'), ['ru']);
      assert.deepEqual(await find('größe'), ['de']);
      assert.deepEqual(await find('party 🎉'), ['emoji']);
      const hit = (await t.store.searchEvents({ tenant: k.tenant, query: 'brulee' })).hits[0]!;
      assert.match(hit.snippet, /\*\*brûlée\*\*/, 'the snippet shows the text as written');
    },
  },
  {
    group,
    name: 'pages by an opaque cursor without repeats; a cursor of another search is refused',
    async run(t) {
      const k = await t.session(isolated(t));
      await t.store.appendEvents(k, Array.from({ length: 25 }, (_, i) => ({ id: `p${i}`, author: 'u', content: `melon ${'seed '.repeat(i % 5)}${i}` })));
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await t.store.searchEvents({ tenant: k.tenant, query: 'melon', limit: 10, cursor });
        seen.push(...ids(page.hits));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      assert.equal(pages, 3);
      assert.equal(seen.length, 25);
      assert.equal(new Set(seen).size, 25);
      const first = await t.store.searchEvents({ tenant: k.tenant, query: 'melon', limit: 10 });
      await rejectsWith(t.store.searchEvents({ tenant: k.tenant, query: 'seed', limit: 10, cursor: first.nextCursor }), 'invalid', 'cursor');
    },
  },
];

/** Every search case needs the `search` capability (on unless a store declares it off). */
export const searchCases: ConformanceCase[] = cases.map((c) => ({ ...c, needs: c.needs ?? 'search' }));
