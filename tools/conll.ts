/**
 * CoNLL-format reading: first column the token, last column the tag; any
 * whitespace-only line ends a sentence; `-DOCSTART-` lines end a document (and are not
 * sentences); a byte-order mark is ignored; the last line may lack its newline.
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
