/**
 * A deterministic chat corpus for the search benchmark: a vocabulary of
 * 5,000 made-up words drawn with a Zipf distribution (s = 1), about 30 words
 * per event, so that word frequencies look like language: a few words in most
 * events, most words rare.
 */
import type { SessionSnapshot } from '../../../src/core/types.js';

export const VOCABULARY_SIZE = 5_000;
const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'pa', 'qui', 'dor', 'fen', 'gal', 'hut', 'jin', 'bel', 'cor', 'wis', 'yam'];

/** A seeded PRNG (mulberry32): the same corpus on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Word i of the vocabulary (0 is the most frequent): distinct, 2–4 syllables. */
export function word(i: number): string {
  let out = '';
  let n = i + SYLLABLES.length; // at least two syllables
  while (n > 0) {
    out += SYLLABLES[n % SYLLABLES.length];
    n = Math.floor(n / SYLLABLES.length);
  }
  return out;
}

export class Corpus {
  private readonly cdf: Float64Array;
  private readonly next: () => number;

  constructor(seed = 42) {
    this.next = rng(seed);
    this.cdf = new Float64Array(VOCABULARY_SIZE);
    let sum = 0;
    for (let i = 0; i < VOCABULARY_SIZE; i++) this.cdf[i] = sum += 1 / (i + 1);
    for (let i = 0; i < VOCABULARY_SIZE; i++) this.cdf[i]! /= sum;
  }

  /** A vocabulary rank drawn from the Zipf distribution. */
  rank(): number {
    const u = this.next();
    let lo = 0;
    let hi = VOCABULARY_SIZE - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** One chat line of about `words` words, with punctuation and capitals as people write. */
  line(words = 30): string {
    const out: string[] = [];
    for (let i = 0; i < words; i++) {
      const w = word(this.rank());
      out.push(i === 0 ? w[0]!.toUpperCase() + w.slice(1) : w);
    }
    return out.join(' ') + '.';
  }

  /** A session of `events` alternating user and assistant turns, as a snapshot to import. */
  session(i: number, events: number, baseTime: number): SessionSnapshot {
    const t0 = baseTime + i * 1000;
    return {
      session: {
        tenant: 'default', appName: `app-${i % 10}`, userId: `user-${i % 2000}`, id: `session-${i}`, metadata: { title: this.line(5) },
        model: null, status: 'active', createdAt: t0, updatedAt: t0 + events, lastActivityAt: t0 + events, expiresAt: null,
        eventCount: events, requestCount: 0, requestMsTotal: 0, version: events + 1,
      },
      state: {},
      events: Array.from({ length: events }, (_, j) => ({
        id: `e-${i}-${j}`, seq: j + 1, timestamp: t0 + j + 1, author: j % 2 ? 'assistant' : 'user', role: j % 2 ? ('assistant' as const) : ('user' as const),
        content: j % 2 ? { role: 'model', parts: [{ text: this.line() }] } : this.line(),
      })),
    };
  }
}

/** Two-word queries of words of middling frequency (ranks 20–400): the kind people type. */
export function twoWordQueries(count: number, seed = 7): string[] {
  const next = rng(seed);
  return Array.from({ length: count }, () => `${word(20 + Math.floor(next() * 380))} ${word(20 + Math.floor(next() * 380))}`);
}
