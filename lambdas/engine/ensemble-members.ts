/**
 * An ensemble's members, of either family, as the ensemble combines them (ensemble.ts):
 * for each sentence of Nerve's words, a distribution over the ensemble's IOB2 labels at
 * every word, and each member's probability of a given span.
 *
 * - A BiLSTM-CRF tagger gives its CRF's token marginals and exact-span probabilities
 *   (forward-backward, crf.ts), its labels put in the ensemble's order.
 * - A transformer whose aggregation fuses words (`first`, the default, `average`, `max`)
 *   gives each word's softmax distribution by that rule, mapped from its scheme (IOB1,
 *   IOB2, BIOES, IO) to IOB2, and span probabilities read the same way (transformer/words.ts).
 * - A transformer that aggregates sub-tokens (`simple`, `none`) has no word distribution:
 *   it votes with its spans, a distribution of 1 on the labels of the spans it found, and
 *   its own score as its probability of a span it found (0 of any other).
 */
import type { Span } from './crf.js';
import type { ScoredSpan } from './extract.js';
import type { Sentences } from './model.js';
import { spansToTags } from './tags.js';
import type { Tagger } from './tagger.js';
import type { WordStrategy } from './transformer/aggregate.js';
import type { TransformerModel } from './transformer/model.js';
import { iob2Distributions, wordSpanProbabilities } from './transformer/words.js';

/** One member's reading of one sentence of n words, over the ensemble's k labels. */
export interface MemberReading {
  /** P(label | word), n x k. */
  marginals(): Float64Array;
  /** P(exactly this span is an entity), per span. */
  spanProbabilities(spans: readonly Span[]): number[];
}

export interface EnsembleMember {
  readonly model: Tagger | TransformerModel;
  /** `distributions`: averaged with the others'; `votes`: its spans as one-hot distributions. */
  readonly combines: 'distributions' | 'votes';
  read(batch: Sentences): Promise<MemberReading[]>;
}

const WORD_STRATEGIES: readonly string[] = ['first', 'average', 'max'] satisfies WordStrategy[];

/** A member over the ensemble's `labels` (IOB2, naming every type the member names). */
export function ensembleMember(model: Tagger | TransformerModel, labels: readonly string[]): EnsembleMember {
  if (model.family === 'bilstm-crf') return taggerMember(model as Tagger, labels);
  const transformer = model as TransformerModel;
  return WORD_STRATEGIES.includes(transformer.aggregation) ? distributionMember(transformer, labels) : votingMember(transformer, labels);
}

/** Rows of n x k probabilities over `from` labels, laid out over `to` (the same labels in another order). */
function reordered(marginals: Float64Array, from: readonly string[], to: readonly string[]): Float64Array {
  if (from.every((l, j) => l === to[j])) return marginals;
  const k = to.length;
  const index = to.map((l) => from.indexOf(l));
  const out = new Float64Array(marginals.length);
  for (let r = 0; r < marginals.length; r += k) for (let j = 0; j < k; j++) out[r + j] = marginals[r + index[j]!]!;
  return out;
}

function taggerMember(tagger: Tagger, labels: readonly string[]): EnsembleMember {
  const { decoder } = tagger;
  return {
    model: tagger,
    combines: 'distributions',
    async read(batch) {
      const emissions = await tagger.emissions(batch);
      return batch.map((tokens, s) => {
        const n = tokens.length;
        const em = emissions[s]!;
        let fb: ReturnType<typeof decoder.forwardBackward> | undefined;
        const forwardBackward = () => (fb ??= decoder.forwardBackward(em, n)); // once per sentence, for both
        return {
          marginals: () => (n === 0 ? new Float64Array(0) : reordered(decoder.marginals(em, n, forwardBackward()), decoder.labels, labels)),
          spanProbabilities: (spans) => (spans.length === 0 ? [] : decoder.spanProbabilities(em, n, spans, forwardBackward())),
        };
      });
    },
  };
}

function distributionMember(transformer: TransformerModel, labels: readonly string[]): EnsembleMember {
  const strategy = transformer.aggregation as WordStrategy;
  return {
    model: transformer,
    combines: 'distributions',
    async read(batch) {
      const words = await transformer.wordProbabilities(batch, strategy);
      return batch.map((tokens, s) => ({
        marginals: () => iob2Distributions(words[s]!, tokens.length, transformer.labelSet, labels),
        spanProbabilities: (spans) => wordSpanProbabilities(words[s]!, tokens.length, transformer.labelSet, spans),
      }));
    },
  };
}

function votingMember(transformer: TransformerModel, labels: readonly string[]): EnsembleMember {
  const k = labels.length;
  return {
    model: transformer,
    combines: 'votes',
    async read(batch) {
      const found = await transformer.spanSentences(batch);
      return batch.map((tokens, s) => ({
        marginals: () => {
          const out = new Float64Array(tokens.length * k);
          spansToTags(tokens.length, found[s]!).forEach((tag, t) => (out[t * k + labels.indexOf(tag)] = 1));
          return out;
        },
        spanProbabilities: (spans) => spans.map((span) => sameSpan(found[s]!, span)?.score ?? 0),
      }));
    },
  };
}

function sameSpan(found: readonly ScoredSpan[], span: Span): ScoredSpan | undefined {
  return found.find((f) => f.start === span.start && f.end === span.end && f.type === span.type);
}
