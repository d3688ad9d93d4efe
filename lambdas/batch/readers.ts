/**
 * Document readers: an S3 object's bytes in, plain-text documents out.
 *
 * `.txt`, `.md`, `.html`/`.htm`, `.json` (one document, or an array of them), `.jsonl`/
 * `.ndjson` (one document per line, as Comprehend's ONE_DOC_PER_LINE) and `.pdf`. A file
 * that can never be read (binary, unsupported type, corrupt, over a limit) raises
 * UnreadableError, which the batch handler records as a `failed` status with its message
 * as the reason instead of retrying; one bad line of a JSON-lines file (or element of a
 * JSON array) fails that document only. Reasons are returned by the API: they say what
 * is wrong and where, and never quote the document.
 *
 * Every reader is linear in its input (no regular expression that can backtrack runs
 * on document text; parsers, not patterns: markdown-it, htmlparser2's Tokenizer, a
 * JSON check with an explicit stack), and a file's cost is bounded by these limits
 * (ReaderLimits, defaults in DEFAULT_READER_LIMITS), each for a reason:
 *
 * - maxReadMs (30 s): the wall-clock budget of one file, a tenth of the batch function's
 *   timeout. Readers check it as they go, and the PDF reader races a timer (pdf.js is
 *   the one reader that can spin); over it, the file fails, its batch goes on.
 * - maxTextChars (10 M): characters of one document's text (and title). Over it, the
 *   document fails (not truncated: a partial index would silently miss names); checked as
 *   text is produced, so a reader stops there. 10 M characters is some 5,000 pages, far
 *   past what one NER run should take, and a fifth of the default 50 MB object limit.
 * - maxDocuments (10,000): documents of one JSON array or JSON-lines file. The rest are
 *   not read; one failed record (line = the first unread one) says so. A million tiny
 *   lines would otherwise be a million records and NER runs in one invocation.
 * - maxLineBytes (1 MiB): one JSON line; a longer line fails its document, undecoded,
 *   so a 100 MB single-line file costs a scan, not a 100 MB string and parse.
 * - maxDepth (512): nesting. Deeper JSON fails (V8's JSON.parse takes 1.4 s and hundreds of
 *   MB on 4 million `[`); deeper HTML is flattened, text kept (as browsers do past 512).
 *   Markdown keeps markdown-it's own limit of 100.
 * - maxPdfPages (1,000): a longer PDF fails before any page is read, rather than being
 *   indexed in part.
 * - maxPdfInflatedBytes (256 MiB): what a PDF's Flate streams may decompress to,
 *   measured natively before pdf.js runs; over it, the file fails as a decompression bomb.
 *
 * Memory follows the input, not a multiple of it: HTML is read in one pass with no tree,
 * Markdown in chunks of 256 K characters (markdown-it's tokens cost up to ~300 bytes per
 * byte), JSON lines over the bytes one line at a time, PDFs one page at a time.
 *
 * Decoding (readers/decode.ts): byte-order marks honoured (UTF-8, UTF-16LE/BE), BOM-less
 * UTF-16 recognised by its NUL bytes beside ASCII; binary (NUL bytes, or over 5% control bytes,
 * anywhere in the file) refused; UTF-8 with invalid bytes replaced by U+FFFD, unless they
 * outnumber the valid multi-byte sequences: then the file is Windows-1252. Control
 * characters in the output become spaces (vertical tab and form feed, line feeds), one for
 * one, so offsets do not move.
 */
import { UnreadableError } from '../shared/errors.js';
import { decodeRange, decodeText, sanitize, sniff } from './readers/decode.js';
import { htmlToText } from './readers/html.js';
import { readJson, readJsonLines } from './readers/json.js';
import { Deadline, readerLimits, type ReaderLimits } from './readers/limits.js';
import { markdownToText } from './readers/markdown.js';
import { pdfToText } from './readers/pdf.js';
import { overTextLimit } from './readers/text-sink.js';

export { DEFAULT_READER_LIMITS, type ReaderLimits } from './readers/limits.js';

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

/** The whole file as text, refusing binary; over maxTextChars fails (checked on bytes first where that already tells). */
function wholeText(bytes: Uint8Array, maxTextChars: number): string {
  const { encoding, bom } = sniff(bytes);
  // A UTF-16 code unit takes at most 3 bytes of UTF-8 (1 of Windows-1252), 2 of UTF-16: never fewer units than this.
  const leastUnits = Math.ceil((bytes.length - bom) / (encoding.startsWith('utf-16') ? 2 : 3));
  if (leastUnits > maxTextChars) throw overTextLimit(maxTextChars);
  return decodeRange(bytes, encoding, bom);
}

async function read(ext: string, bytes: Uint8Array, limits: ReaderLimits, deadline: Deadline): Promise<SourceDocument[]> {
  switch (ext) {
    case '.txt': {
      const text = wholeText(bytes, limits.maxTextChars);
      if (text.length > limits.maxTextChars) throw overTextLimit(limits.maxTextChars, text.length);
      return [{ text }];
    }
    case '.md':
    case '.markdown':
      return [{ text: markdownToText(decodeText(bytes), limits, deadline) }];
    case '.html':
    case '.htm': {
      const { text, title } = htmlToText(decodeText(bytes), limits, deadline);
      const chars = text.length + (title?.length ?? 0);
      if (chars > limits.maxTextChars) throw overTextLimit(limits.maxTextChars, chars);
      return [{ text, title }];
    }
    case '.json':
      return readJson(decodeText(bytes), limits, deadline);
    case '.jsonl':
    case '.ndjson':
      return readJsonLines(bytes, sniff(bytes), limits, deadline);
    case '.pdf':
      return [{ text: await pdfToText(bytes, limits, deadline) }];
    default:
      throw new UnreadableError(`unsupported file type "${ext || '(none)'}": Nerve reads ${SUPPORTED_EXTENSIONS.join(', ')}`);
  }
}

/**
 * The documents of one S3 object, within `limits` (the defaults where not given).
 * Whatever is about the file rejects with UnreadableError, a RangeError from a reader
 * (a string or stack too large for the engine) too; a bad limit is a TypeError.
 */
export async function readDocuments(key: string, bytes: Uint8Array, limits?: Partial<ReaderLimits>): Promise<SourceDocument[]> {
  const resolved = readerLimits(limits);
  const deadline = new Deadline(resolved.maxReadMs);
  let docs: SourceDocument[];
  try {
    docs = await read(extensionOf(key), bytes, resolved, deadline);
  } catch (e) {
    if (e instanceof RangeError) throw new UnreadableError(`the file cannot be read within the engine's limits (${e.name})`);
    throw e;
  }
  return docs.map((doc) => ({ ...doc, text: sanitize(doc.text), ...(doc.title !== undefined ? { title: sanitize(doc.title) } : {}) }));
}
