/**
 * A transformer's reading of pre-tokenized words (a sentence of Nerve's tokens, joined by
 * spaces, as `spanSentences` reads them) as one label distribution per word, and what
 * those distributions say in IOB2: what an ensemble averages with its other members'
 * (../ensemble-members.ts).
 *
 * Words are read as the model reads them: each word labelled on its own by its
 * distribution, the labels grouped as the pipeline groups them (labels.ts). A beginning
 * label (B-, S-) begins an entity of its type; a continuing one (I-, E-) continues the
 * entity of the word before when that word has the same type and begins one otherwise,
 * which is also what I- means in IOB1 and IO. So every scheme maps to IOB2 by one rule.
 */
import type { Span } from '../crf.js';
import { wordDistribution, type WordStrategy } from './aggregate.js';
import { codePointLength } from './codepoints.js';
import type { LabelSet } from './labels.js';
import type { TokenWindow } from './tokenizer.js';

/** The sub-tokens of a word in one window, and how far they are from its edges. */
interface WordInWindow {
  readonly window: number;
  readonly tokens: number[];
  readonly context: number;
}

/** Each word's [start, end) in code points of `words.join(' ')`. */
function wordRanges(words: readonly string[]): Array<{ start: number; end: number }> {
  let at = 0;
  return words.map((w) => {
    const range = { start: at, end: at + codePointLength(w) };
    at = range.end + 1;
    return range;
  });
}

/**
 * Each word's distribution over the model's labels (words x labels) from the sub-tokens
 * inside it, by `strategy` (aggregate.ts): the rule the model's aggregation applies to the
 * pipeline's words, applied to Nerve's. A word is read in the window that holds most of
 * its sub-tokens, then in the one where they have most context on both sides, then the
 * earlier: a word cut by a window's edge is read whole in the next. A word with no
 * sub-token (every character of it dropped by the tokenizer's normalizer) is O.
 */
export function wordDistributions(
  words: readonly string[],
  windows: readonly TokenWindow[],
  probs: readonly Float32Array[],
  labels: LabelSet,
  strategy: WordStrategy,
): Float32Array {
  const n = words.length;
  const k = labels.byId.length;
  const ranges = wordRanges(words);
  const chosen: Array<WordInWindow | undefined> = new Array(n);
  windows.forEach((w, window) => {
    const content = w.ids.flatMap((_, i) => (w.special[i] ? [] : [i]));
    const found = new Map<number, number[]>();
    let word = 0;
    for (const i of content) {
      const [start, end] = w.offsets[i] as [number, number];
      if (end <= start) continue; // a space token whose offsets were trimmed to nothing
      while (word < n && ranges[word]!.end <= start) word++;
      if (word === n) break;
      if (start < ranges[word]!.start) continue; // the space between two words
      found.set(word, [...(found.get(word) ?? []), i]);
    }
    for (const [word, tokens] of found) {
      const context = Math.min(tokens[0]! - content[0]!, content.at(-1)! - tokens.at(-1)!);
      const best = chosen[word];
      if (!best || tokens.length > best.tokens.length || (tokens.length === best.tokens.length && context > best.context)) {
        chosen[word] = { window, tokens, context };
      }
    }
  });
  const out = new Float32Array(n * k);
  const o = labels.byId.findIndex((l) => l.type === 'O');
  for (let t = 0; t < n; t++) {
    const c = chosen[t];
    if (!c) {
      if (o >= 0) out[t * k + o] = 1;
      continue;
    }
    const rows = c.tokens.map((i) => ({ probs: probs[c.window]!.subarray(i * k, (i + 1) * k) }));
    out.set(wordDistribution(rows, strategy), t * k);
  }
  return out;
}

/** Per word and type: the probability of any label of the type, and of its continuing labels. */
interface TypeMasses {
  readonly types: readonly string[];
  readonly total: Float64Array;
  readonly continuing: Float64Array;
  readonly outside: Float64Array;
}

function typeMasses(dist: Float32Array, n: number, labels: LabelSet): TypeMasses {
  const types = [...new Set(labels.byId.filter((l) => l.type !== 'O').map((l) => l.type))];
  const index = labels.byId.map((l) => types.indexOf(l.type));
  const k = labels.byId.length;
  const m = types.length;
  const total = new Float64Array(n * m);
  const continuing = new Float64Array(n * m);
  const outside = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    for (let y = 0; y < k; y++) {
      const p = dist[t * k + y]!;
      const x = index[y]!;
      if (x < 0) outside[t] = outside[t]! + p;
      else {
        total[t * m + x] = total[t * m + x]! + p;
        if (!labels.byId[y]!.begins) continuing[t * m + x] = continuing[t * m + x]! + p;
      }
    }
  }
  return { types, total, continuing, outside };
}

/** P(word t begins an entity of type x): its beginning mass, and its continuing mass where the word before is not of the type. */
function beginning({ types, total, continuing }: TypeMasses, t: number, x: number): number {
  const m = types.length;
  const before = t > 0 ? total[(t - 1) * m + x]! : 0;
  return total[t * m + x]! - continuing[t * m + x]! * before;
}

/**
 * The words' distributions (words x the model's labels) as distributions over the IOB2
 * labels `target`, which name every type of the model's: P(B-X) is a word's beginning X
 * mass plus its continuing X mass times P(the word before is not X); P(I-X), its
 * continuing X mass times P(the word before is X); P(O), its O mass. Each row sums to 1.
 */
export function iob2Distributions(dist: Float32Array, n: number, labels: LabelSet, target: readonly string[]): Float64Array {
  const masses = typeMasses(dist, n, labels);
  const { types, total, continuing, outside } = masses;
  const m = types.length;
  const k = target.length;
  const o = target.indexOf('O');
  const b = types.map((x) => target.indexOf(`B-${x}`));
  const i = types.map((x) => target.indexOf(`I-${x}`));
  const out = new Float64Array(n * k);
  for (let t = 0; t < n; t++) {
    out[t * k + o] = outside[t]!;
    for (let x = 0; x < m; x++) {
      out[t * k + b[x]!] = beginning(masses, t, x);
      out[t * k + i[x]!] = t > 0 ? continuing[t * m + x]! * total[(t - 1) * m + x]! : 0;
    }
  }
  return out;
}

/**
 * The probability, under the same reading, that exactly `span` is an entity: its first
 * word begins one of its type, every later word continues it, and the word after it, if
 * any, does not. 0 for a type the model does not know.
 */
export function wordSpanProbabilities(dist: Float32Array, n: number, labels: LabelSet, spans: readonly Span[]): number[] {
  const masses = typeMasses(dist, n, labels);
  const m = masses.types.length;
  return spans.map(({ start, end, type }) => {
    const x = masses.types.indexOf(type);
    if (x < 0) return 0;
    let p = beginning(masses, start, x);
    for (let t = start + 1; t < end; t++) p *= masses.continuing[t * m + x]!;
    if (end < n) p *= 1 - masses.continuing[end * m + x]!;
    return Math.min(1, Math.max(0, p));
  });
}
