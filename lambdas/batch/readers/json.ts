/**
 * `.json` (one document, or an array of them) and `.jsonl`/`.ndjson` (one per line).
 *
 * JSON lines are read over the bytes, not the decoded text: each line is found with
 * indexOf, and decoded only if it is under `maxLineBytes` (a longer one fails its
 * document unread; a 100 MB line is never decoded), blank lines are skipped in a byte
 * loop, and reading stops at `maxDocuments` with one failed record that says so. So a
 * file costs time linear in its size and memory linear in one line plus what is kept.
 */
import { UnreadableError } from '../../shared/errors.js';
import type { SourceDocument } from '../readers.js';
import { decodeRange, type Sniffed } from './decode.js';
import { checkJson, describeProblem } from './json-check.js';
import type { Deadline, ReaderLimits } from './limits.js';

type Limits = Pick<ReaderLimits, 'maxDocuments' | 'maxLineBytes' | 'maxDepth' | 'maxTextChars'>;

const tooMany = (max: number, line: number, unit: string): SourceDocument => ({
  line,
  text: '',
  failure: `a file is read as at most ${max} documents: from ${unit} ${line} on, the rest is not read`,
});

/** A parsed value as a document, or its failure. */
export function fromJsonValue(value: unknown, maxTextChars: number, line?: number): SourceDocument {
  let text: unknown = value;
  let title: unknown;
  if (value && typeof value === 'object' && !Array.isArray(value)) ({ text, title } = value as Record<string, unknown>);
  if (typeof text !== 'string') return { line, text: '', failure: 'expected a JSON string or an object with a string "text" field' };
  const chars = text.length + (typeof title === 'string' ? title.length : 0);
  if (chars > maxTextChars) return { line, text: '', failure: `the document's text is ${chars} characters, over the limit of ${maxTextChars} characters` };
  return { ...(line !== undefined ? { line } : {}), text, ...(typeof title === 'string' ? { title } : {}) };
}

export function readJson(text: string, limits: Limits, deadline: Deadline): SourceDocument[] {
  const problem = checkJson(text, limits.maxDepth);
  if (problem) throw new UnreadableError(`the file is not valid JSON: ${describeProblem(problem)}`);
  deadline.check();
  const value: unknown = JSON.parse(text);
  if (Array.isArray(value)) {
    const docs = value.slice(0, limits.maxDocuments).map((v, i) => fromJsonValue(v, limits.maxTextChars, i + 1));
    if (value.length > limits.maxDocuments) docs.push(tooMany(limits.maxDocuments, limits.maxDocuments + 1, 'element'));
    return docs;
  }
  const doc = fromJsonValue(value, limits.maxTextChars);
  if (doc.failure) throw new UnreadableError(doc.failure);
  return [doc];
}

/** Space, tab, carriage return, vertical tab, form feed: a line of only these is blank. */
const isBlankByte = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0b || c === 0x0c;

export function readJsonLines(bytes: Uint8Array, sniffed: Sniffed, limits: Limits, deadline: Deadline): SourceDocument[] {
  if (sniffed.encoding === 'utf-16le' || sniffed.encoding === 'utf-16be') {
    // JSON is UTF-8 (RFC 8259); a UTF-16 file is transcoded once and read the same way.
    const utf8 = Buffer.from(decodeRange(bytes, sniffed.encoding, sniffed.bom), 'utf8');
    return readJsonLines(utf8, { encoding: 'utf-8', bom: 0 }, limits, deadline);
  }
  const docs: SourceDocument[] = [];
  const n = bytes.length;
  let pos = sniffed.bom;
  let line = 0;
  while (pos < n) {
    line++;
    // Blank lines, fast: a byte loop, no decoding.
    let k = pos;
    while (k < n && isBlankByte(bytes[k]!)) k++;
    if (k >= n) break;
    if (bytes[k] === 0x0a) {
      pos = k + 1;
      continue;
    }
    if ((line & 0xfff) === 0) deadline.check();
    let end = bytes.indexOf(0x0a, k);
    if (end === -1) end = n;
    const next = end + 1;
    if (end > pos && bytes[end - 1] === 0x0d) end--;
    if (docs.length >= limits.maxDocuments) {
      docs.push(tooMany(limits.maxDocuments, line, 'line'));
      break;
    }
    const size = end - pos;
    if (size > limits.maxLineBytes) {
      docs.push({ line, text: '', failure: `line ${line} is ${size} bytes, over the limit of ${limits.maxLineBytes} bytes` });
    } else {
      const text = decodeRange(bytes, sniffed.encoding, pos, end);
      const problem = checkJson(text, limits.maxDepth);
      if (problem) docs.push({ line, text: '', failure: `line ${line} is not valid JSON: ${problem.what} at column ${problem.column}` });
      else docs.push(fromJsonValue(JSON.parse(text), limits.maxTextChars, line));
    }
    pos = next;
  }
  return docs;
}
