/**
 * CoNLL-format reading: first column the token, last column the tag; any
 * whitespace-only line ends a sentence; `-DOCSTART-` lines end a document (and are not
 * sentences); a byte-order mark is ignored; the last line may lack its newline.
 */
import { NerveError } from '../lambdas/engine/errors.js';

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
