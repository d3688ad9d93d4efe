/**
 * From sub-token probabilities to entities, with the semantics of transformers'
 * TokenClassificationPipeline (its `aggregation_strategy`):
 *
 * - `none`: every sub-token whose best label is not O is an entity of its own.
 * - `simple`: each sub-token takes its best label; neighbours are grouped (labels.ts).
 * - `first`, `average`, `max`: sub-tokens are first fused into words, and a word takes the
 *   label of its first sub-token, of its sub-tokens' mean distribution, or of its most
 *   confident sub-token; then words are grouped as in `simple`. A word can never be split
 *   between two entities.
 *
 * A score is a probability under the model's softmax: a sub-token's probability of its
 * label (`none`), a word's (`first`, `max`: that sub-token's; `average`: the mean
 * distribution's), and an entity's is the mean over its sub-tokens or words.
 */
import type { LabelSet } from './labels.js';

export const AGGREGATIONS = ['none', 'simple', 'first', 'average', 'max'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

/** A sub-token of one window as the model scored it; offsets in code points of the text. */
export interface ScoredToken {
  readonly probs: Float32Array;
  readonly start: number;
  readonly end: number;
  /** Continues the word of the token before it (see tokenizer.ts). */
  readonly isSubword: boolean;
}

/** An entity over code points [start, end) of the text. */
export interface SpanEntity {
  readonly type: string;
  readonly start: number;
  readonly end: number;
  readonly score: number;
}

/** A token or word with its label id and score, before grouping. */
interface Labelled {
  readonly id: number;
  readonly score: number;
  readonly start: number;
  readonly end: number;
}

function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i; // the first of equals, as numpy's
  return best;
}

function best(probs: ArrayLike<number>, start: number, end: number): Labelled {
  const id = argmax(probs);
  return { id, score: probs[id]!, start, end };
}

function maxOf(v: Float32Array): number {
  return v.reduce((a, b) => Math.max(a, b), -Infinity);
}

/** The strategies that give each word one distribution over the labels. */
export type WordStrategy = 'first' | 'average' | 'max';

/**
 * A word's label distribution from its sub-tokens' (non-empty), by `strategy`: its first
 * sub-token's, their mean, or that of the most confident one. What an ensemble averages
 * (ensemble-members.ts) and what a word's label is taken from here.
 */
export function wordDistribution(tokens: readonly { readonly probs: Float32Array }[], strategy: WordStrategy): ArrayLike<number> {
  if (strategy === 'first') return tokens[0]!.probs;
  if (strategy === 'max') {
    // The first token holding the highest probability, as Python's max() keeps the first.
    return tokens.reduce((a, t) => (maxOf(t.probs) > maxOf(a.probs) ? t : a)).probs;
  }
  const mean = new Float64Array(tokens[0]!.probs.length);
  for (const t of tokens) t.probs.forEach((p, i) => (mean[i] = mean[i]! + p / tokens.length));
  return mean;
}

/** One word from its sub-tokens, by `strategy`. */
function word(tokens: readonly ScoredToken[], strategy: WordStrategy): Labelled {
  return best(wordDistribution(tokens, strategy), tokens[0]!.start, tokens[tokens.length - 1]!.end);
}

function words(tokens: readonly ScoredToken[], strategy: WordStrategy): Labelled[] {
  const out: Labelled[] = [];
  let group: ScoredToken[] = [];
  for (const t of tokens) {
    if (group.length > 0 && !t.isSubword) {
      out.push(word(group, strategy));
      group = [];
    }
    group.push(t);
  }
  if (group.length > 0) out.push(word(group, strategy));
  return out;
}

/** Neighbours of one type grouped unless a label begins a new entity; O groups dropped. */
function group(items: readonly Labelled[], labels: LabelSet): SpanEntity[] {
  const out: SpanEntity[] = [];
  let members: Labelled[] = [];
  const close = () => {
    const type = labels.byId[members[0]!.id]!.type;
    if (type !== 'O') {
      const score = members.reduce((a, m) => a + m.score, 0) / members.length;
      out.push({ type, start: members[0]!.start, end: members[members.length - 1]!.end, score });
    }
  };
  for (const item of items) {
    const meaning = labels.byId[item.id]!;
    if (members.length > 0 && (meaning.begins || meaning.type !== labels.byId[members[members.length - 1]!.id]!.type)) {
      close();
      members = [];
    }
    members.push(item);
  }
  if (members.length > 0) close();
  return out;
}

/** The entities of one window's sub-tokens (special tokens left out), in order. */
export function aggregate(tokens: readonly ScoredToken[], strategy: Aggregation, labels: LabelSet): SpanEntity[] {
  if (strategy === 'none') {
    return tokens
      .map((t) => best(t.probs, t.start, t.end))
      .filter((t) => labels.byId[t.id]!.type !== 'O')
      .map((t) => ({ type: labels.byId[t.id]!.type, start: t.start, end: t.end, score: t.score }));
  }
  const items = strategy === 'simple' ? tokens.map((t) => best(t.probs, t.start, t.end)) : words(tokens, strategy);
  return group(items, labels);
}

/**
 * The entities of overlapping windows as one list: sorted by start, and of entities that
 * overlap (one starts inside the one kept before it) the longer is kept, or at equal
 * length the more probable, so an entity seen whole in one window wins over its cut
 * copy at the edge of the next and none is counted twice. The pipeline's rule (its
 * `aggregate_overlapping_entities`), applied like it only when there is more than one window.
 */
export function resolveOverlaps(entities: readonly SpanEntity[]): SpanEntity[] {
  if (entities.length === 0) return [];
  const sorted = [...entities].sort((a, b) => a.start - b.start); // stable, as Python's sorted
  const out: SpanEntity[] = [];
  let kept = sorted[0]!;
  for (const e of sorted) {
    if (kept.start <= e.start && e.start < kept.end) {
      const length = e.end - e.start;
      const keptLength = kept.end - kept.start;
      if (length > keptLength || (length === keptLength && e.score > kept.score)) kept = e;
    } else {
      out.push(kept);
      kept = e;
    }
  }
  out.push(kept);
  return out;
}
