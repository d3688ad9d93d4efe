/**
 * Document-level label consistency, run after tagging each sentence of a document.
 *
 * A name usually keeps its type within one document ("Jordan" is a country throughout a
 * story about the Middle East, a person throughout one about basketball), and a name
 * the model found confidently once is usually a name where it recurs. Three rules:
 *
 * 1. Retype: spans with the same surface string vote for a type, each with its
 *    probability; a span whose own type got less than `retypeShare` of the votes
 *    takes the winning type (the evidence of the rest of the document is strong).
 * 2. Propagate: an exact, capitalised recurrence of a string tagged with probability
 *    ≥ `propagateScore` somewhere in the document, not overlapping any span, becomes a
 *    span of the winning type. Its score is the winning type's share of the votes times
 *    the best score the string got: evidence from elsewhere, never above it.
 * 3. Surnames: the last token of a confident multi-token name of a type in
 *    `surnameTypes` ("Clinton" of "Bill Clinton") is that name's type where it appears
 *    alone and capitalised later: tagged if untagged, retyped if the model gave it
 *    another type less confidently.
 *
 * The thresholds were chosen on CoNLL-2003 dev (`npm run tune:consistency`); their
 * effect on dev and test is in models/ensemble/README.md (`npm run eval:ensemble`).
 */
import { consistencyOptions, DOCUMENT_GROUP_TOKENS, type ConsistencyOptions } from './defaults.js';
import { entitiesOf, sentenceGroups, type Entity, type ScoredSpan } from './extract.js';
import type { NerModel, Sentences } from './model.js';
import { spansToTags } from './tags.js';
import type { Token } from './tokenize.js';
import { OverBudgetError } from '../shared/errors.js';

export type { ConsistencyOptions } from './defaults.js';

const keyOf = (tokens: readonly string[], span: { start: number; end: number }) => tokens.slice(span.start, span.end).join(' ');
const capitalised = (token: string) => /^\p{Lu}/u.test(token);

export function harmonizeDocument(
  sentences: readonly (readonly string[])[],
  spans: readonly ScoredSpan[][],
  options: ConsistencyOptions = {},
): ScoredSpan[][] {
  const { retypeShare, propagateScore, surnameTypes } = consistencyOptions(options);
  const votes = new Map<string, Map<string, number>>();
  const best = new Map<string, number>();
  spans.forEach((row, s) =>
    row.forEach((span) => {
      const key = keyOf(sentences[s]!, span);
      const v = votes.get(key) ?? new Map<string, number>();
      v.set(span.type, (v.get(span.type) ?? 0) + span.score);
      votes.set(key, v);
      best.set(key, Math.max(best.get(key) ?? 0, span.score));
    }),
  );
  const winner = new Map<string, { type: string; share: number }>();
  for (const [key, v] of votes) {
    const total = [...v.values()].reduce((a, b) => a + b, 0);
    const [type, weight] = [...v.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]!;
    winner.set(key, { type, share: total > 0 ? weight / total : 0 });
  }

  // Rule 1: retype.
  const out = spans.map((row, s) =>
    row.map((span) => {
      const key = keyOf(sentences[s]!, span);
      const v = votes.get(key)!;
      const total = [...v.values()].reduce((a, b) => a + b, 0);
      const own = (v.get(span.type) ?? 0) / (total || 1);
      const w = winner.get(key)!;
      return own < retypeShare && w.type !== span.type ? { ...span, type: w.type } : span;
    }),
  );

  // Rule 2: propagate confident strings to their unlabeled, capitalised recurrences.
  const confident = [...best.entries()].filter(([, score]) => score >= propagateScore).map(([key]) => key.split(' '));
  if (confident.length === 0) return out;
  propagate(sentences, out, confident, winner, best);
  // Rule 3: surnames.
  const surnames = new Map<string, { type: string; score: number }>();
  for (const k of confident) {
    const w = winner.get(k.join(' '))!;
    const last = k.at(-1)!;
    if (k.length < 2 || !surnameTypes.includes(w.type) || !capitalised(last)) continue;
    const score = w.share * best.get(k.join(' '))!;
    if ((surnames.get(last)?.score ?? 0) < score) surnames.set(last, { type: w.type, score });
  }
  if (surnames.size > 0) lendSurnames(sentences, out, surnames);
  return out;
}

function propagate(
  sentences: readonly (readonly string[])[],
  out: ScoredSpan[][],
  confident: string[][],
  winner: Map<string, { type: string; share: number }>,
  best: Map<string, number>,
): void {
  const byFirst = new Map<string, string[][]>();
  for (const k of confident) byFirst.set(k[0]!, [...(byFirst.get(k[0]!) ?? []), k]);
  for (const candidates of byFirst.values()) candidates.sort((a, b) => b.length - a.length); // longest match first
  sentences.forEach((tokens, s) => {
    const taken = new Uint8Array(tokens.length);
    for (const span of out[s]!) taken.fill(1, span.start, span.end);
    const added: ScoredSpan[] = [];
    for (let i = 0; i < tokens.length; i++) {
      if (taken[i] || !capitalised(tokens[i]!)) continue;
      const match = (byFirst.get(tokens[i]!) ?? []).find((k) => k.every((t, j) => tokens[i + j] === t && !taken[i + j]));
      if (!match) continue;
      const key = match.join(' ');
      const w = winner.get(key)!;
      added.push({ start: i, end: i + match.length, type: w.type, score: w.share * best.get(key)! });
      taken.fill(1, i, i + match.length);
      i += match.length - 1;
    }
    if (added.length > 0) out[s] = [...out[s]!, ...added].sort((a, b) => a.start - b.start);
  });
}

function lendSurnames(sentences: readonly (readonly string[])[], out: ScoredSpan[][], surnames: Map<string, { type: string; score: number }>): void {
  sentences.forEach((tokens, s) => {
    const taken = new Uint8Array(tokens.length);
    for (const span of out[s]!) taken.fill(1, span.start, span.end);
    const row = out[s]!.map((span) => {
      const lent = span.end - span.start === 1 ? surnames.get(tokens[span.start]!) : undefined;
      return lent && lent.type !== span.type && span.score < lent.score ? { ...span, type: lent.type } : span;
    });
    tokens.forEach((token, i) => {
      const lent = surnames.get(token);
      if (lent && !taken[i]) row.push({ start: i, end: i + 1, type: lent.type, score: lent.score });
    });
    out[s] = row.sort((a, b) => a.start - b.start);
  });
}

/** A sentence of a labelled corpus: its tokens and the document it belongs to (CoNLL's -DOCSTART-). */
export interface DocumentSentence {
  readonly tokens: readonly string[];
  readonly document: number;
}

/**
 * Spans of sentences that come in documents (consecutive sentences with the same
 * `document`), harmonized within each document; `false` leaves them as the model gave them.
 */
export function harmonizeDocuments(sentences: readonly DocumentSentence[], spans: readonly ScoredSpan[][], consistency: ConsistencyOptions | false = {}): ScoredSpan[][] {
  if (consistency === false) return spans.map((row) => [...row]);
  const out: ScoredSpan[][] = [];
  for (let i = 0; i < sentences.length; ) {
    let j = i;
    while (j < sentences.length && sentences[j]!.document === sentences[i]!.document) j++;
    out.push(...harmonizeDocument(sentences.slice(i, j).map((s) => s.tokens), spans.slice(i, j), consistency));
    i = j;
  }
  return out;
}

/** IOB2 tags of every sentence, with document consistency within each document (what `nerve eval --documents` and the model scripts score). */
export async function labelDocuments(model: NerModel, sentences: readonly DocumentSentence[], consistency: ConsistencyOptions | false = {}): Promise<string[][]> {
  const spans = await model.spanSentences(sentences.map((s) => s.tokens) as Sentences);
  return harmonizeDocuments(sentences, spans, consistency).map((row, s) => spansToTags(sentences[s]!.tokens.length, row));
}

/**
 * Entities of a whole document: every sentence tagged, then document consistency across
 * all of them, then offsets (code points) into `text`. Used by the batch path.
 */
export async function extractDocumentEntities(model: NerModel, text: string, { deadline = Infinity, ...consistency }: ConsistencyOptions & { deadline?: number } = {}): Promise<Entity[]> {
  const sentences: Token[][] = [];
  const spans: ScoredSpan[][] = [];
  for (const group of sentenceGroups(text, DOCUMENT_GROUP_TOKENS)) {
    // Checked between model calls: a call is bounded (DOCUMENT_GROUP_TOKENS), so the overrun is too.
    if (Date.now() > deadline) {
      const tokens = sentences.reduce((n, s) => n + s.length, 0);
      throw new OverBudgetError(`tagging the document took longer than its time budget (stopped after ${tokens} tokens); split it into smaller files`, { tokens });
    }
    sentences.push(...group);
    spans.push(...(await model.spanSentences(group.map((s) => s.map((t) => t.text)))));
  }
  const harmonized = harmonizeDocuments(sentences.map((s) => ({ tokens: s.map((t) => t.text), document: 0 })), spans, consistency);
  return entitiesOf(text, { sentences, spans: harmonized });
}
