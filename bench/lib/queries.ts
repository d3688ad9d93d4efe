/** Query-like texts from CoNLL-2003 test: each sentence (≤ 32 tokens) joined back into text. */
import { join } from 'node:path';
import { readConll } from '../../tools/conll.js';

export function conllQueries(dataDir: string, maxTokens = 32, minTokens = 3): string[] {
  const sentences = readConll(join(dataDir, 'conll2003', 'test.txt'));
  return sentences.filter((s) => s.tokens.length >= minTokens && s.tokens.length <= maxTokens).map((s) => s.tokens.join(' '));
}

/** Deterministic shuffle (mulberry32), so every run measures the same order. */
export function shuffled<T>(xs: readonly T[], seed = 1): T[] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
