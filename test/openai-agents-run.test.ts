// sessiondb/openai-agents end to end, through the built package: the OpenAI Agents SDK's own
// runner (`run(agent, input, { session })`, a scripted model) keeps a conversation across
// processes; two processes appending to one session lose and duplicate nothing; importing the
// subpath does not load the SDK; the README example runs.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  MemorySession,
  OutputGuardrailTripwireTriggered,
  run,
  setTracingDisabled,
  type AgentInputItem,
  type ModelResponse,
  type OutputGuardrail,
  type Session,
} from '@openai/agents';
import { SessiondbSession } from 'sessiondb/openai-agents';
import { describe, expect, it } from 'vitest';
import { makeAgent } from './fixtures/openai-agents/scripted-model.js';
import { runTs, tempDir } from './helpers.js';
import { dropSchema, PG_URL, pgUnavailableReason, uniqueSchema } from './pg-helpers.js';
import { runExample } from './readme-helpers.js';

setTracingDisabled(true);
const pgUnavailable = await pgUnavailableReason();
const dir = tempDir('openai-agents-run');
const root = join(import.meta.dirname, '..');
const fixture = (name: string) => join(import.meta.dirname, 'fixtures', 'openai-agents', name);

/** "role: text" of each message, "call name(args)" / "result name" of tool items: what a model was sent. */
function transcript(items: AgentInputItem[]): string[] {
  return items.map((item) => {
    const i = item as { type?: string; role?: string; content?: unknown; name?: string; arguments?: string };
    if (i.role) {
      const text = typeof i.content === 'string' ? i.content : (i.content as { text: string }[]).map((p) => p.text).join('');
      return `${i.role}: ${text}`;
    }
    return i.type === 'function_call' ? `call ${i.name}(${i.arguments})` : `${i.type} ${i.name}`;
  });
}

describe("the SDK's runner with SessiondbSession", () => {
  it('two turns in this process, a third in a new process that sees the first two (SQLite file)', async () => {
    const url = `sqlite:${join(dir, 'run.db')}`;
    const session = new SessiondbSession({ url, appName: 'scripted', userId: 'u1' });
    const sessionId = await session.getSessionId();
    const { agent, model } = makeAgent();
    expect((await run(agent, 'hi', { session })).finalOutput).toBe('Hello! What should I remember?');
    expect((await run(agent, 'remember tea', { session })).finalOutput).toBe('Noted: tea');
    expect(model.inputs).toHaveLength(3);
    // The second turn's first model call was sent the first turn, read back from the store.
    expect(transcript(model.inputs[1] as AgentInputItem[])).toEqual(['user: hi', 'assistant: Hello! What should I remember?', 'user: remember tea']);
    await session.close();

    const third = JSON.parse(await runTs(fixture('third-turn.ts'), [url, sessionId])) as { reply: string; modelSaw: AgentInputItem[]; items: AgentInputItem[] };
    expect(third.reply).toBe('You like tea');
    expect(transcript(third.modelSaw)).toEqual([
      'user: hi',
      'assistant: Hello! What should I remember?',
      'user: remember tea',
      'call remember({"fact":"tea"})',
      'function_call_result remember',
      'assistant: Noted: tea',
      'user: what do I like?',
    ]);
    expect(transcript(third.items)).toEqual([...transcript(third.modelSaw), 'assistant: You like tea']);
  }, 60_000);
});

/** Starts a writer (test/fixtures/openai-agents/append-items.ts); resolves once it is ready, with a `go` that starts it and resolves with its output. */
function startWriter(args: string[]): Promise<{ go: () => Promise<string> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture('append-items.ts'), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<string>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`writer exited ${code}: ${err}`))));
  });
  return new Promise((resolve, reject) => {
    exited.catch(reject);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out === 'ready\n') resolve({ go: () => (child.stdin.write('go\n'), exited) });
    });
  });
}

/**
 * Two writers append at once to one session; every item is there once, each
 * writer's in its order, each call's two items together. Returns how often
 * the history switches from one writer to the other (how much they interleaved).
 */
async function race(url: string, sessionId: string): Promise<number> {
  const calls = 60;
  const writers = await Promise.all(['A', 'B'].map((label) => startWriter([url, sessionId, label, String(calls)])));
  expect(await Promise.all(writers.map((w) => w.go()))).toEqual(['ready\ndone\n', 'ready\ndone\n']);
  const session = new SessiondbSession({ url, appName: 'race', userId: 'u1', sessionId });
  const texts = (await session.getItems()).map((i) => (i as { content: string }).content);
  await session.close();
  expect(texts).toHaveLength(4 * calls);
  expect(new Set(texts).size).toBe(4 * calls);
  for (const label of ['A', 'B']) {
    const own = texts.filter((t) => t.startsWith(`${label}-`));
    expect(own).toEqual(Array.from({ length: calls }, (_, i) => [`${label}-${i}-a`, `${label}-${i}-b`]).flat());
  }
  for (let i = 0; i < texts.length; i += 2) expect(texts[i + 1]).toBe(texts[i]!.replace(/-a$/, '-b'));
  return texts.filter((t, i) => i > 0 && t[0] !== texts[i - 1]![0]).length;
}

describe("the SDK's runner uses the session's history transactions", () => {
  it('an output guardrail blocks the answer: the tool call and its result are kept through applyHistoryTransaction, as MemorySession keeps them', async () => {
    const script: ModelResponse['output'][] = [
      [{ type: 'function_call', callId: 'call_1', name: 'remember', arguments: '{"fact":"tea"}', status: 'completed' }],
      [{ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'The SECRET is tea' }] }],
    ];
    const guardrail: OutputGuardrail = {
      name: 'no-secrets',
      execute: async ({ agentOutput }) => ({ tripwireTriggered: String(agentOutput).includes('SECRET'), outputInfo: null }),
    };
    const runBlocked = async (session: Session) => {
      const { agent } = makeAgent(0, script);
      const guarded = agent.clone({ outputGuardrails: [guardrail] });
      await expect(run(guarded, 'remember tea', { session })).rejects.toBeInstanceOf(OutputGuardrailTripwireTriggered);
      return session.getItems();
    };
    const session = new SessiondbSession({ url: `sqlite:${join(dir, 'guardrail.db')}`, appName: 'scripted', userId: 'u1' });
    const kept = await runBlocked(session);
    expect(kept).toEqual(await runBlocked(new MemorySession()));
    expect(transcript(kept)).toEqual(['user: remember tea', 'call remember({"fact":"tea"})', 'function_call_result remember']);
    const stored = await (await session.store()).getSession({ appName: 'scripted', userId: 'u1', sessionId: await session.getSessionId() }, { withEvents: false });
    const operations = (stored!.metadata['openaiAgents'] as { operations: [string, string][] }).operations;
    expect(operations.map(([id]) => id)).toEqual([expect.stringMatching(/:blocked_append:/)]);
    await session.close();
  }, 30_000);
});

describe('two processes appending to one session at once lose and duplicate nothing', () => {
  it('on a SQLite file', async () => {
    const switches = await race(`sqlite:${join(dir, 'race.db')}`, 'race-sqlite');
    expect(switches, 'the writers interleaved: the race was one').toBeGreaterThan(0);
  }, 60_000);

  it.skipIf(pgUnavailable !== null)(`on PostgreSQL${pgUnavailable ? ` (skipped: ${pgUnavailable})` : ''}`, async () => {
    const schema = uniqueSchema('oarace');
    try {
      const switches = await race(`${PG_URL}?schema=${schema}`, 'race-pg');
      expect(switches, 'the writers interleaved: the race was one').toBeGreaterThan(0);
    } finally {
      await dropSchema(schema);
    }
  }, 60_000);
});

describe('the built subpath', () => {
  it('importing sessiondb/openai-agents and using the session loads no @openai package', () => {
    const node = (code: string) =>
      spawnSync(process.execPath, ['--import', fixture('deny-sdk.mjs'), '--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' });
    const used = node(`
      const { SessiondbSession } = await import('sessiondb/openai-agents');
      const session = new SessiondbSession({ url: 'memory:', appName: 'a', userId: 'u' });
      await session.addItems([{ role: 'user', content: 'hi' }]);
      console.log(JSON.stringify(await session.getItems()));
      await session.close();
    `);
    expect(used.stderr).toBe('');
    expect(JSON.parse(used.stdout)).toEqual([{ role: 'user', content: 'hi' }]);
    // The guard itself works: importing the SDK under it fails.
    const control = node(`await import('@openai/agents');`);
    expect(control.status).not.toBe(0);
    expect(control.stderr).toContain('loaded @openai/agents');
  });

  it('the README example runs', () => {
    runExample('openai-agents');
  }, 30_000);
});
