import { describe, expect, it } from 'vitest';
import { stateAtSeq } from '../src/core/history.js';
import { makeSnippet, matchTree } from '../src/core/search/match.js';
import { prepareSearch } from '../src/core/search/prepare.js';
import { parseSearchQuery } from '../src/core/search/query.js';
import { indexText, searchableText, wordsOf } from '../src/core/search/text.js';
import { DEFAULT_LIMITS, SessionDbError } from '../src/index.js';

const parse = (q: string) => parseSearchQuery('query', q);
const clause = (words: string[], prefix = false) => ({ words, prefix });

describe('the search query language (parsed once, in core)', () => {
  it('reads words, phrases, exclusions and prefixes', () => {
    expect(parse('refund  policy')).toEqual({ must: [clause(['refund']), clause(['policy'])], not: [] });
    expect(parse('"quick brown" -fox refun*')).toEqual({ must: [clause(['quick', 'brown']), clause(['refun'], true)], not: [clause(['fox'])] });
    expect(parse('-"brown fox" dog')).toEqual({ must: [clause(['dog'])], not: [clause(['brown', 'fox'])] });
    expect(parse('"the ord"*')).toEqual({ must: [clause(['the', 'ord'], true)], not: [] });
  });

  it('treats punctuation inside a word as the index does: a phrase of its parts', () => {
    expect(parse('get_weather')).toEqual({ must: [clause(['get', 'weather'])], not: [] });
    expect(parse('ops@example.com')).toEqual({ must: [clause(['ops', 'example', 'com'])], not: [] });
    expect(parse('well-known*')).toEqual({ must: [clause(['well', 'known'], true)], not: [] });
  });

  it('folds case and accents, keeps other scripts, drops what has no letters or digits', () => {
    expect(parse('CRÈME Brûlée')).toEqual({ must: [clause(['creme']), clause(['brulee'])], not: [] });
    expect(parse('Привет 🎉 ΚΌΣΜΕ')).toEqual({ must: [clause(['привет']), clause(['κοσμε'])], not: [] });
    expect(parse('x - y')).toEqual({ must: [clause(['x']), clause(['y'])], not: [] });
    expect(parse('a a A')).toEqual({ must: [clause(['a'])], not: [] });
  });

  it('refuses what cannot be searched for, naming the field and saying what to do', () => {
    for (const q of ['', '   ', '-x', '🎉', '""', '"-"', '***']) {
      const err = (() => { try { parse(q); } catch (e) { return e; } })();
      expect(err, q).toBeInstanceOf(SessionDbError);
      expect((err as SessionDbError).code).toBe('invalid');
      expect((err as SessionDbError).message).toMatch(/query/);
    }
    expect(() => parse('a*')).toThrow(/at least 2 characters/);
    expect(() => parse('w '.repeat(17))).not.toThrow(); // repeated words collapse into one clause
    expect(() => parse(Array.from({ length: 17 }, (_, i) => `w${i}`).join(' '))).toThrow(/too large/);
    expect(() => parse('x'.repeat(1001))).toThrow(/too large/);
  });
});

describe('search text (what every store indexes)', () => {
  it('takes strings, and the text parts and tool names of structured content', () => {
    expect(searchableText('plain')).toBe('plain');
    expect(searchableText({ role: 'model', parts: [{ text: 'Hi' }, { functionCall: { id: 'c1', name: 'lookup', args: { q: 'secret' } } }, { inlineData: { data: 'AAAA' } }] })).toBe('Hi\nlookup');
    expect(searchableText([{ type: 'tool-call', toolName: 'search_web', input: { q: 'x' } }, { type: 'text', text: 'done' }])).toBe('search_web\ndone');
    expect(searchableText(['a', 'b'])).toBe('a\nb');
    expect(searchableText(42)).toBe('');
  });

  it('indexes normalized words separated by single spaces', () => {
    expect(indexText('Hello, WORLD! Crème-brûlée: 42 ﬁne')).toBe('hello world creme brulee 42 fine');
    expect(indexText('x '.repeat(10), 3)).toBe('x x x');
    expect(wordsOf('Ab cd').map((w) => [w.norm, w.start, w.end])).toEqual([['ab', 0, 2], ['cd', 3, 5]]);
  });

  it('matches and marks words in snippets as written, around the best window', () => {
    const tree = parse('brulee "fox jumps"');
    const text = `${'lorem '.repeat(50)}the crème brûlée and the fox jumps high ${'ipsum '.repeat(50)}`;
    const words = wordsOf(text);
    expect(matchTree(words, tree)).toEqual([1, 1]);
    expect(matchTree(words, parse('brulee -lorem'))).toBeNull();
    const snippet = makeSnippet(text, words, tree);
    expect(snippet).toContain('**brûlée**');
    expect(snippet).toContain('**fox** **jumps**');
    expect(snippet.startsWith('…') && snippet.endsWith('…')).toBe(true);
    expect(snippet.length).toBeLessThan(220);
  });
});

describe('search paging and filters', () => {
  it('issues cursors bound to one search', () => {
    const first = prepareSearch({ query: 'a b', appName: 'x' }, DEFAULT_LIMITS);
    expect(first.offset).toBe(0);
    expect(first.limit).toBe(20);
    expect(first.titles).toBe(true);
    expect(prepareSearch({ query: 'a b', role: 'user' }, DEFAULT_LIMITS).titles).toBe(false);
    expect(() => prepareSearch({ query: 'a b', nope: 1 } as never, DEFAULT_LIMITS)).toThrow(/search.nope/);
  });
});

describe('stateAtSeq', () => {
  it('replays changes after the events they followed; deletions and replacements included', () => {
    const changes = [
      { atSeq: 0, kind: 'replace' as const, set: { a: 1 }, unset: [] },
      { atSeq: 1, kind: 'merge' as const, set: { c: 3 }, unset: ['a'] },
      { atSeq: 2, kind: 'replace' as const, set: { z: 0 }, unset: [] },
    ];
    const events = [
      { seq: 1, stateDelta: '{"b":2,"app:x":1}' },
      { seq: 2, stateDelta: { b: 3 } },
      { seq: 3, stateDelta: null },
    ];
    expect(stateAtSeq(changes, events, 0)).toEqual({ a: 1 });
    expect(stateAtSeq(changes, events, 1)).toEqual({ b: 2, c: 3 });
    expect(stateAtSeq(changes, events, 2)).toEqual({ z: 0 });
    expect(stateAtSeq([], events, 2)).toEqual({ b: 3 });
  });
});
