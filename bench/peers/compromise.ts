/**
 * compromise (npm), the rule-and-lexicon tagger JavaScript users reach for, as a tagger of
 * CoNLL tokens: a sentence's tokens joined by single spaces are its text, and each match of
 * `people()`, `organizations()` and `places()` becomes PER, ORG or LOC on every token its
 * terms' characters overlap. It has no MISC, so bench:peers scores it on PER, ORG and LOC only.
 */
import nlp from 'compromise';

const METHODS = [
  ['people', 'PER'],
  ['organizations', 'ORG'],
  ['places', 'LOC'],
] as const;

interface Offset {
  readonly start: number;
  readonly length: number;
}
/** What `.json({ offset: true })` gives per match; a match's own offset takes in punctuation after it ("Brussels ."), its terms' do not. */
interface Match {
  readonly terms: readonly { readonly offset: Offset }[];
}

/** IOB2 tags for one sentence. Where matches overlap, the first found (in METHODS' order) keeps its tokens and the later one is dropped. */
export function compromiseTags(tokens: readonly string[]): string[] {
  const starts: number[] = [];
  let at = 0;
  for (const token of tokens) {
    starts.push(at);
    at += token.length + 1;
  }
  const tags = tokens.map(() => 'O');
  const doc = nlp(tokens.join(' '));
  for (const [method, type] of METHODS) {
    for (const match of doc[method]().json({ offset: true }) as Match[]) {
      const first = match.terms[0]?.offset;
      const last = match.terms[match.terms.length - 1]?.offset;
      if (!first || !last) continue;
      const from = first.start;
      const to = last.start + last.length;
      const covered = tokens.flatMap((token, i) => (starts[i]! < to && starts[i]! + token.length > from ? [i] : []));
      if (covered.length === 0 || covered.some((i) => tags[i] !== 'O')) continue;
      covered.forEach((i, k) => (tags[i] = `${k === 0 ? 'B' : 'I'}-${type}`));
    }
  }
  return tags;
}
