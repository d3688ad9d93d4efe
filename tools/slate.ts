/**
 * Slate magazine articles (`slate/articles.jsonl`, ../shared/data/slate/README.md): one
 * JSON line each with id, title and text; the text's first paragraph is the headline, so
 * the body is the text after it. Unlabeled text for self-training, never for evaluation.
 */
import { readFileSync } from 'node:fs';

export interface Article {
  /** Position in the file, from 0: a stable order for sampling one article in K. */
  readonly ordinal: number;
  readonly id: string;
  readonly title: string;
  readonly body: string;
}

export function* slateArticles(file: string): Generator<Article> {
  const lines = readFileSync(file, 'utf8').split('\n');
  let ordinal = 0;
  for (const [n, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let row: { id?: unknown; title?: unknown; text?: unknown };
    try {
      row = JSON.parse(line);
    } catch {
      throw new Error(`${file}:${n + 1}: not a JSON line`);
    }
    if (typeof row.id !== 'string' || typeof row.title !== 'string' || typeof row.text !== 'string') {
      throw new Error(`${file}:${n + 1}: an article needs string id, title and text`);
    }
    const firstBreak = row.text.indexOf('\n\n');
    yield { ordinal: ordinal++, id: row.id, title: row.title, body: firstBreak < 0 ? '' : row.text.slice(firstBreak + 2) };
  }
}
