// A real ADK run: LlmAgent + Runner + a scripted model, with AdkSessionService on a SQLite file.
// Two turns in this process, the third in a new process on the same file.
import { join } from 'node:path';
import { Runner } from '@google/adk';
import { describe, expect, it } from 'vitest';
import { AdkSessionService } from '../src/adapters/adk/index.js';
import { makeScriptedAgent, runTurn } from './fixtures/adk-scripted-agent.js';
import { runTs, tempDir } from './helpers.js';

const dir = tempDir('adk-runner');

/** Texts of the user and model turns in what the model was sent. */
function textsOf(contents: unknown[]): string[] {
  return (contents as { role: string; parts?: { text?: string }[] }[]).flatMap((c) =>
    (c.parts ?? []).filter((p) => p.text).map((p) => `${c.role}: ${p.text}`),
  );
}

describe('ADK Runner with AdkSessionService on a SQLite file', () => {
  it('keeps the conversation and its state across a restart', async () => {
    const path = join(dir, 'adk.db');
    const sessionService = new AdkSessionService(`sqlite:${path}`);
    const { agent, model } = makeScriptedAgent();
    const runner = new Runner({ appName: 'scripted', agent, sessionService });
    const session = await sessionService.createSession({ appName: 'scripted', userId: 'u1' });

    const turn1 = await runTurn(runner, 'u1', session.id, 'hi');
    expect(turn1.at(-1)?.content?.parts?.[0]?.text).toBe('Hello! What should I remember?');
    const turn2 = await runTurn(runner, 'u1', session.id, 'remember tea');
    expect(turn2.at(-1)?.content?.parts?.[0]?.text).toBe('Noted: tea');
    expect(model.requests).toHaveLength(3);
    await sessionService.close();

    const third = JSON.parse(await runTs(join(import.meta.dirname, 'fixtures', 'adk-third-turn.ts'), [path, session.id]));
    expect(third.reply).toBe('You like tea');
    // The model in the new process received the earlier turns, read back from the file.
    expect(textsOf(third.modelSaw)).toEqual([
      'user: hi',
      'model: Hello! What should I remember?',
      'user: remember tea',
      'model: Noted: tea',
      'user: what do I like?',
    ]);
    expect(JSON.stringify(third.modelSaw)).toContain('"functionCall"');
    expect(third.state).toEqual({ 'user:favorite': 'tea', last_fact: 'tea' });
    // 3 user messages, 4 model events (one a function call) and 1 tool response.
    expect(third.eventCount).toBe(8);

    // User state reaches the user's other sessions; session state does not.
    const again = new AdkSessionService(`sqlite:${path}`);
    const other = await again.createSession({ appName: 'scripted', userId: 'u1' });
    expect(other.state).toEqual({ 'user:favorite': 'tea' });
    await again.close();
  }, 60_000);
});
