/**
 * Document readers: an S3 object's bytes in, plain-text documents out.
 *
 * `.txt`, `.md`, `.html`/`.htm`, `.json` (one document, or an array of them), `.jsonl`/
 * `.ndjson` (one document per line, as Comprehend's ONE_DOC_PER_LINE) and `.pdf`. A file
 * that can never be read (binary, unsupported type, corrupt) raises UnreadableError,
 * which the batch handler records as a `failed` status instead of retrying; one bad line
 * of a JSON-lines file fails that line's document only.
 */
import { convert as htmlToText } from 'html-to-text';
import { UnreadableError } from '../shared/errors.js';

export interface SourceDocument {
  /** 1-based line (JSON lines) or index + 1 (a JSON array); absent for whole-file documents. */
  readonly line?: number;
  readonly text: string;
  readonly title?: string;
  /** Set when this one document could not be read (the rest of the file still is). */
  readonly failure?: string;
}

export const SUPPORTED_EXTENSIONS = ['.txt', '.md', '.markdown', '.html', '.htm', '.json', '.jsonl', '.ndjson', '.pdf'] as const;

export function extensionOf(key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1).toLowerCase();
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot) : '';
}

/** UTF-8 text, refusing binary content; invalid UTF-8 falls back to Windows-1252 (old newswire). */
function decodeText(bytes: Uint8Array): string {
  const head = bytes.subarray(0, 8192);
  if (head.includes(0)) throw new UnreadableError('the file holds binary data (NUL bytes), not text');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}

/** Markdown to plain text: drop markup, keep the words (offsets then refer to this text). */
function markdownToText(md: string): string {
  return md
    .replace(/^```[\s\S]*?^```/gm, '') // fenced code
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1') // images: alt text
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1') // links: their text
    .replace(/^\s{0,3}#{1,6}\s+/gm, '') // headings
    .replace(/^\s{0,3}>\s?/gm, '') // block quotes
    .replace(/^\s*[-*+]\s+/gm, '') // list bullets
    .replace(/(\*\*|__|\*|_|`)(?=\S)([\s\S]*?\S)\1/g, '$2'); // emphasis, inline code
}

function fromJsonValue(value: unknown, line?: number): SourceDocument {
  if (typeof value === 'string') return { line, text: value };
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const { text, title } = value as Record<string, unknown>;
    if (typeof text === 'string') return { line, text, title: typeof title === 'string' ? title : undefined };
  }
  return { line, text: '', failure: 'expected a JSON string or an object with a string "text" field' };
}

async function pdfToText(bytes: Uint8Array): Promise<string> {
  const { extractText, getDocumentProxy } = await import('unpdf');
  try {
    const pdf = await getDocumentProxy(new Uint8Array(bytes));
    const { text } = await extractText(pdf, { mergePages: true });
    return text;
  } catch (e) {
    throw new UnreadableError(`the PDF cannot be read: ${(e as Error).message}`);
  }
}

export async function readDocuments(key: string, bytes: Uint8Array): Promise<SourceDocument[]> {
  const ext = extensionOf(key);
  switch (ext) {
    case '.txt':
      return [{ text: decodeText(bytes) }];
    case '.md':
    case '.markdown':
      return [{ text: markdownToText(decodeText(bytes)) }];
    case '.html':
    case '.htm': {
      const html = decodeText(bytes);
      const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html)?.[1]?.trim();
      const text = htmlToText(html, { wordwrap: false, selectors: [{ selector: 'a', options: { ignoreHref: true } }, { selector: 'img', format: 'skip' }, { selector: 'title', format: 'skip' }] });
      return [{ text, title }];
    }
    case '.json': {
      let value: unknown;
      try {
        value = JSON.parse(decodeText(bytes));
      } catch (e) {
        throw new UnreadableError(`the file is not valid JSON: ${(e as Error).message}`);
      }
      if (Array.isArray(value)) return value.map((v, i) => fromJsonValue(v, i + 1));
      const doc = fromJsonValue(value);
      if (doc.failure) throw new UnreadableError(doc.failure);
      return [doc];
    }
    case '.jsonl':
    case '.ndjson':
      return decodeText(bytes)
        .split(/\r?\n/)
        .map((line, i) => ({ line, n: i + 1 }))
        .filter(({ line }) => line.trim() !== '')
        .map(({ line, n }) => {
          try {
            return fromJsonValue(JSON.parse(line), n);
          } catch (e) {
            return { line: n, text: '', failure: `line ${n} is not valid JSON: ${(e as Error).message}` };
          }
        });
    case '.pdf':
      return [{ text: await pdfToText(bytes) }];
    default:
      throw new UnreadableError(`unsupported file type "${ext || '(none)'}": Nerve reads ${SUPPORTED_EXTENSIONS.join(', ')}`);
  }
}
