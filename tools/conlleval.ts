/**
 * Entity-level precision, recall and F1 with the rules of the CoNLL shared task's
 * `conlleval` script. Its chunk rules read IOB1, IOB2 and IO alike:
 * - a chunk starts at B-X, at I-X after O, and at any tag whose type differs from the
 *   previous tag's type;
 * - a chunk ends before B-X, before O, and before a tag of another type.
 * A chunk is correct when gold and prediction have one with the same first token,
 * last token and type. Sentence breaks end every chunk.
 */
export interface Counts {
  correct: number;
  predicted: number;
  gold: number;
}

export interface Scores {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly counts: Counts;
}

export interface Report {
  readonly overall: Scores;
  readonly byType: Record<string, Scores>;
  readonly tokens: number;
  readonly tokenAccuracy: number;
}

const typeOf = (tag: string) => (tag === 'O' ? '' : tag.slice(2));
const prefixOf = (tag: string) => (tag === 'O' ? 'O' : tag[0]!);

/** Chunks of one sentence as "start:end:type" keys (end exclusive). */
export function chunks(tags: readonly string[]): Set<string> {
  const out = new Set<string>();
  let start = -1;
  let prevTag = 'O';
  let prevType = '';
  for (let i = 0; i <= tags.length; i++) {
    const tag = i < tags.length ? tags[i]! : 'O';
    const p = prefixOf(tag);
    const type = typeOf(tag);
    const pp = prefixOf(prevTag);
    const ends =
      (pp === 'B' && (p === 'B' || p === 'O')) ||
      (pp === 'I' && (p === 'B' || p === 'O')) ||
      (pp !== 'O' && prevType !== type);
    const starts = p === 'B' || (pp === 'O' && p === 'I') || (p !== 'O' && prevType !== type);
    if (ends && start >= 0) {
      out.add(`${start}:${i}:${prevType}`);
      start = -1;
    }
    if (starts) start = i;
    prevTag = tag;
    prevType = type;
  }
  return out;
}

function scores({ correct, predicted, gold }: Counts): Scores {
  const precision = predicted ? (100 * correct) / predicted : 0;
  const recall = gold ? (100 * correct) / gold : 0;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1, counts: { correct, predicted, gold } };
}

export function evaluate(gold: readonly (readonly string[])[], predicted: readonly (readonly string[])[]): Report {
  if (gold.length !== predicted.length) throw new RangeError(`${gold.length} gold sentences but ${predicted.length} predicted`);
  const total: Counts = { correct: 0, predicted: 0, gold: 0 };
  const byType = new Map<string, Counts>();
  const bump = (type: string, key: keyof Counts) => {
    if (!byType.has(type)) byType.set(type, { correct: 0, predicted: 0, gold: 0 });
    byType.get(type)![key]++;
    total[key]++;
  };
  let tokens = 0;
  let tokenCorrect = 0;
  gold.forEach((g, s) => {
    const p = predicted[s]!;
    if (g.length !== p.length) throw new RangeError(`sentence ${s}: ${g.length} gold tags but ${p.length} predicted`);
    tokens += g.length;
    g.forEach((tag, i) => (tokenCorrect += tag === p[i] ? 1 : 0));
    const gc = chunks(g);
    const pc = chunks(p);
    for (const c of gc) bump(c.split(':')[2]!, 'gold');
    for (const c of pc) {
      bump(c.split(':')[2]!, 'predicted');
      if (gc.has(c)) bump(c.split(':')[2]!, 'correct');
    }
  });
  const types = [...byType.keys()].sort();
  return {
    overall: scores(total),
    byType: Object.fromEntries(types.map((t) => [t, scores(byType.get(t)!)])),
    tokens,
    tokenAccuracy: tokens ? (100 * tokenCorrect) / tokens : 0,
  };
}

/** conlleval's summary table, for people. */
/** A report's figures as result files keep them: overall F1, precision and recall, and F1 by type, to two decimals. */
export function reportFigures(r: Report) {
  const two = (x: number) => Number(x.toFixed(2));
  return {
    f1: two(r.overall.f1),
    precision: two(r.overall.precision),
    recall: two(r.overall.recall),
    byType: Object.fromEntries(Object.entries(r.byType).map(([t, s]) => [t, two(s.f1)])),
  };
}

export function formatReport(r: Report): string {
  const line = (name: string, s: Scores) =>
    `${name.padEnd(10)} precision ${s.precision.toFixed(2).padStart(6)}%  recall ${s.recall.toFixed(2).padStart(6)}%  FB1 ${s.f1.toFixed(2).padStart(6)}  (${s.counts.predicted} found, ${s.counts.gold} gold, ${s.counts.correct} correct)`;
  return [
    `processed ${r.tokens} tokens; accuracy ${r.tokenAccuracy.toFixed(2)}%`,
    line('overall', r.overall),
    ...Object.entries(r.byType).map(([t, s]) => line(t, s)),
  ].join('\n');
}
