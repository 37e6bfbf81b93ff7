// The console's pure helpers: search snippets, structured content, state scopes, formats.
import { describe, expect, it } from 'vitest';
import { contentBlocks } from '../ui/src/lib/content.js';
import { downloadName, formatBytes, formatRelative } from '../ui/src/lib/format.js';
import { queryTree, snippetParts } from '../ui/src/lib/snippet.js';
import { scopedEntries, scopeOf } from '../ui/src/lib/state.js';
import { makeSnippet } from '../src/core/search/match.js';
import { parseSearchQuery } from '../src/core/search/query.js';
import { wordsOf } from '../src/core/search/text.js';

describe('snippetParts', () => {
  it('turns the words core wrapped in ** into matches, and leaves everything else as text', () => {
    const text = 'Use <b>get_weather</b> for **bold** claims, then get weather again';
    const snippet = makeSnippet(text, wordsOf(text), parseSearchQuery('q', '"get weather"'));
    expect(snippet).toContain('**bold**'); // the message's own asterisks, which core does not escape
    const parts = snippetParts(snippet, queryTree('"get weather"'));
    expect(parts.filter((p) => p.match).map((p) => p.text)).toEqual(['get', 'weather', 'get', 'weather']);
    expect(parts.map((p) => p.text).join('')).toBe(text.replace(/\s+/g, ' '));
  });

  it('marks prefix matches, and without a query every wrapped word', () => {
    expect(snippetParts('the **Teapots** and **Tea**', queryTree('tea*')).filter((p) => p.match).map((p) => p.text)).toEqual(['Teapots', 'Tea']);
    expect(snippetParts('**Café** **x**', queryTree('cafe')).filter((p) => p.match).map((p) => p.text)).toEqual(['Café']);
    expect(snippetParts('**a** **b**').filter((p) => p.match).length).toBe(2);
  });

  it('keeps a lone ** or one around spaces as text', () => {
    expect(snippetParts('a ** b ** c')).toEqual([{ text: 'a ** b ** c', match: false }]);
    expect(snippetParts('**x**')).toEqual([{ text: 'x', match: true }]);
    expect(snippetParts('<img src=x onerror=alert(1)> **hit**')).toEqual([
      { text: '<img src=x onerror=alert(1)> ', match: false },
      { text: 'hit', match: true },
    ]);
  });
});

describe('contentBlocks', () => {
  it('reads ADK parts: text, function calls and responses, inline data', () => {
    expect(
      contentBlocks({
        role: 'model',
        parts: [
          { text: 'Looking.' },
          { functionCall: { id: 'c1', name: 'lookup', args: { id: 7 } } },
          { functionResponse: { id: 'c1', name: 'lookup', response: { ok: true } } },
          { inlineData: { mimeType: 'image/png', data: 'AAAA' } },
        ],
      }),
    ).toEqual([
      { kind: 'text', text: 'Looking.' },
      { kind: 'tool-call', name: 'lookup', callId: 'c1', args: { id: 7 } },
      { kind: 'tool-result', name: 'lookup', callId: 'c1', result: { ok: true } },
      { kind: 'media', mimeType: 'image/png', detail: '3 bytes inline' },
    ]);
  });

  it('reads OpenAI items (arguments given as JSON text) and chat tool_calls', () => {
    expect(
      contentBlocks([
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hi' }] },
        { type: 'function_call', callId: 'f1', name: 'get_weather', arguments: '{"city":"Lisbon"}' },
        { type: 'function_call_result', callId: 'f1', name: 'get_weather', output: { type: 'text', text: '{"c":15}' } },
      ]),
    ).toEqual([
      { kind: 'text', text: 'Hi' },
      { kind: 'tool-call', name: 'get_weather', callId: 'f1', args: { city: 'Lisbon' } },
      { kind: 'tool-result', name: 'get_weather', callId: 'f1', result: { c: 15 } },
    ]);
    expect(contentBlocks({ role: 'assistant', content: null, tool_calls: [{ id: 't1', function: { name: 'f', arguments: '{"a":1}' } }] })).toEqual([
      { kind: 'tool-call', name: 'f', callId: 't1', args: { a: 1 } },
    ]);
  });

  it('reads AI SDK parts and Anthropic blocks', () => {
    expect(
      contentBlocks([
        { type: 'tool-call', toolCallId: 'a', toolName: 'read', input: { path: 'x' } },
        { type: 'tool-result', toolCallId: 'a', toolName: 'read', output: { type: 'json', value: { n: 1 } } },
        { type: 'tool_use', id: 'b', name: 'calc', input: { x: 2 } },
        { type: 'tool_result', tool_use_id: 'b', content: '4' },
      ]),
    ).toEqual([
      { kind: 'tool-call', name: 'read', callId: 'a', args: { path: 'x' } },
      { kind: 'tool-result', name: 'read', callId: 'a', result: { n: 1 } },
      { kind: 'tool-call', name: 'calc', callId: 'b', args: { x: 2 } },
      { kind: 'tool-result', name: null, callId: 'b', result: '4' },
    ]);
  });

  it('shows anything else as data, and nothing for empty content', () => {
    expect(contentBlocks({ weird: [1, 2] })).toEqual([{ kind: 'data', label: 'Data', value: { weird: [1, 2] } }]);
    expect(contentBlocks(42)).toEqual([{ kind: 'data', label: 'Data', value: 42 }]);
    expect(contentBlocks(undefined)).toEqual([]);
    expect(contentBlocks('')).toEqual([]);
  });
});

describe('state scopes', () => {
  it('routes keys by prefix and orders app, user, session', () => {
    expect(['app:x', 'user:y', 'temp:z', 'plain'].map(scopeOf)).toEqual(['app', 'user', 'temp', 'session']);
    expect(scopedEntries({ b: 1, 'user:a': 2, 'app:c': 3, a: 4 }).map((e) => e.key)).toEqual(['app:c', 'user:a', 'a', 'b']);
  });
});

describe('formats', () => {
  it('names downloads from the session id with safe characters only', () => {
    expect(downloadName('refund-teapot', 'md')).toBe('refund-teapot.md');
    expect(downloadName('../../etc/passwd', 'json')).toMatch(/^[A-Za-z0-9_][A-Za-z0-9._-]*\.json$/);
    expect(downloadName('../../etc/passwd', 'json')).not.toContain('/');
    expect(downloadName('…', 'txt')).toBe('_.txt');
  });

  it('says times relative to now, and sizes in binary units', () => {
    const now = Date.UTC(2026, 10, 26, 12);
    expect(formatRelative(now - 10_000, now)).toBe('just now');
    expect(formatRelative(now - 5 * 60_000, now)).toBe('5 min ago');
    expect(formatRelative(now - 3 * 3_600_000, now)).toBe('3 h ago');
    expect(formatRelative(now - 86_400_000, now)).toBe('1 day ago');
    expect(formatRelative(now + 2 * 3_600_000, now)).toBe('in 2 h');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(18_796)).toBe('18 KiB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MiB');
  });
});
