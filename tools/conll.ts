/**
 * CoNLL-format reading: first column the token, last column the tag; any
 * whitespace-only line ends a sentence; `-DOCSTART-` lines end a document (and are not
 * sentences); a byte-order mark is ignored; the last line may lack its newline; a line
 * whose token is empty (a tag after a leading TAB, as in a few lines of BTC) is skipped,
 * since it has nothing to tag.
 */
import { readFileSync } from 'node:fs';
import { NerveError } from '../lambdas/shared/errors.js';

export interface ConllSentence {
  readonly tokens: string[];
  readonly tags: string[];
  /** Index of the document the sentence belongs to (documents are split by -DOCSTART-). */
  readonly document: number;
}

export function parseConll(text: string, source = 'input'): ConllSentence[] {
  const out: ConllSentence[] = [];
  let tokens: string[] = [];
  let tags: string[] = [];
  let document = 0;
  const close = () => {
    if (tokens.length > 0) out.push({ tokens, tags, document });
    tokens = [];
    tags = [];
  };
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.replace(/\uFEFF/g, '');
    if (line.trim() === '') return close();
    const cols = line.trim().split(/\s+/);
    if (cols[0] === '-DOCSTART-') {
      close();
      if (out.length > 0 && out[out.length - 1]!.document === document) document++;
      return;
    }
    if (cols.length === 1 && /^\s/.test(line)) return; // an empty token with its tag
    if (cols.length < 2) throw new NerveError('conll_format', `${source}:${i + 1}: expected "TOKEN ... TAG", got ${JSON.stringify(raw)}`);
    tokens.push(cols[0]!);
    tags.push(cols[cols.length - 1]!);
  });
  close();
  return out;
}

/** A CoNLL file's sentences; a file that cannot be read is a `file_not_found` error naming it. */
export function readConll(path: string): ConllSentence[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new NerveError('file_not_found', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseConll(text, path);
}

/** The same sentences with lower-cased tokens (how queries are often typed); tags and documents stay. */
export function lowerCased(sentences: readonly ConllSentence[]): ConllSentence[] {
  return sentences.map((s) => ({ ...s, tokens: s.tokens.map((t) => t.toLowerCase()) }));
}

/** CoNLL's types without MISC: what compromise tags, and all BTC annotates. */
export const PER_ORG_LOC = ['PER', 'ORG', 'LOC'] as const;

/**
 * Tags with every entity outside `types` turned to O. Applied to gold and prediction alike,
 * it scores a tagger on those types only: a MISC it predicts is no false positive, a gold
 * MISC it misses no false negative, and a MISC span it calls LOC still counts against it.
 */
export function keepTypes(tags: readonly string[], types: readonly string[]): string[] {
  return tags.map((tag) => (tag !== 'O' && !types.includes(tag.slice(2)) ? 'O' : tag));
}

/**
 * IOB tags of another scheme's types as CoNLL's, by a table; a type the table lacks is an
 * error naming it, and a type it maps to null becomes O.
 */
export function mapTypes(tags: readonly string[], table: Readonly<Record<string, string | null>>, scheme: string): string[] {
  return tags.map((tag) => {
    if (tag === 'O') return tag;
    const type = tag.slice(2);
    if (!Object.hasOwn(table, type)) throw new RangeError(`no CoNLL type for ${scheme} type ${JSON.stringify(type)} (known: ${Object.keys(table).join(', ')})`);
    const conll = table[type];
    return conll === null ? 'O' : `${tag.slice(0, 2)}${conll}`;
  });
}
