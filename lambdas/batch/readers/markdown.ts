/**
 * Markdown to plain text: markdown-it's tokens, walked to their words.
 *
 * markdown-it is CommonMark-conformant and checked against the pathological inputs
 * (nested emphasis, brackets, backticks, block quotes): linear in practice, where the
 * regular expressions this replaced were quadratic (300 KB of `_a ` took minutes).
 * Markup goes, the words stay: link text (not the address), image alt text, inline code;
 * fenced code blocks are dropped (not prose), indented ones kept; raw HTML blocks go
 * through the HTML reader, inline tags are dropped. markdown-it stops nesting at its
 * default depth of 100 (block quotes, lists): what is deeper is not read.
 *
 * markdown-it's tokens take up to ~300 bytes of heap per byte of source (9 MB of
 * `*a **a ` took 2.5 GB), so the source is parsed in chunks of at most CHUNK_CHARS, cut
 * at blank lines outside fenced code where there is one, else at a line end, else (one
 * huge line) at a space: memory is bounded by a chunk, and any cost super-linear within
 * markdown-it by a chunk's size. Reference definitions carry over to later chunks (one
 * `env`); a cut inside a fence reopens it. Files under a chunk parse whole, as before.
 */
import MarkdownIt, { type Token } from 'markdown-it';
import { htmlToText } from './html.js';
import type { Deadline } from './limits.js';
import { TextSink } from './text-sink.js';

const md = new MarkdownIt('default', { html: true, linkify: false, typographer: false, maxNesting: 100 });

const PARAGRAPH_ENDS = new Set(['paragraph_close', 'heading_close', 'blockquote_close', 'bullet_list_close', 'ordered_list_close', 'table_close', 'hr']);
const LINE_ENDS = new Set(['list_item_close', 'tr_close', 'dt_close', 'dd_close']);

export const CHUNK_CHARS = 256 * 1024;

export function markdownToText(source: string, limits: { maxDepth: number; maxTextChars: number }, deadline: Deadline): string {
  const sink = new TextSink(limits.maxTextChars);
  const env = {};
  for (const chunk of markdownChunks(source, CHUNK_CHARS)) {
    walk(md.parse(chunk, env), sink, limits, deadline);
    deadline.check();
  }
  return sink.toString().trim();
}

function walk(tokens: readonly Token[], sink: TextSink, limits: { maxDepth: number; maxTextChars: number }, deadline: Deadline): void {
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if ((i & 0xfff) === 0) deadline.check();
    switch (token.type) {
      case 'inline':
        inline(token.children ?? [], sink);
        break;
      case 'code_block':
        sink.lineBreak(2);
        sink.verbatim(withoutFinalNewlines(token.content));
        sink.lineBreak(2);
        break;
      case 'html_block': {
        const { text } = htmlToText(token.content, limits, deadline);
        sink.lineBreak(2);
        sink.verbatim(text);
        sink.lineBreak(2);
        break;
      }
      case 'fence':
        break;
      case 'th_close':
      case 'td_close':
        sink.tab();
        break;
      default:
        if (token.type === 'paragraph_close' && token.hidden) sink.lineBreak(1); // in a tight list
        else if (PARAGRAPH_ENDS.has(token.type)) sink.lineBreak(2);
        else if (LINE_ENDS.has(token.type)) sink.lineBreak(1);
    }
  }
}

/** The fence a line opens or closes (its run of 3+ backticks or tildes, indented at most 3 spaces), else ''. */
function fenceOf(src: string, start: number, end: number): string {
  let i = start;
  while (i < end && i - start < 3 && src.charCodeAt(i) === 0x20) i++;
  const c = src.charCodeAt(i);
  if (c !== 0x60 && c !== 0x7e) return '';
  let j = i;
  while (j < end && src.charCodeAt(j) === c) j++;
  return j - i >= 3 ? src.slice(i, j) : '';
}

function isBlank(src: string, start: number, end: number): boolean {
  let i = start;
  while (i < end && (src.charCodeAt(i) === 0x20 || src.charCodeAt(i) === 0x09 || src.charCodeAt(i) === 0x0d)) i++;
  return i >= end || src.charCodeAt(i) === 0x0a;
}

/** `src` in pieces of at most `size` characters (plus a reopened fence), cut as described above; one linear pass. */
export function* markdownChunks(src: string, size: number): Generator<string> {
  let start = 0; // of the current chunk
  let prefix = ''; // a fence to reopen at its start
  let fence = ''; // the open fence, '' outside one
  let blankCut = -1; // a line start after a blank line outside a fence, in this chunk
  let lineCut = -1; // the latest line start in this chunk, and the fence open there
  let lineCutFence = '';
  let pos = 0;
  while (pos < src.length) {
    const eol = src.indexOf('\n', pos);
    const next = eol === -1 ? src.length : eol + 1;
    if (next - start > size) {
      if (blankCut > start || lineCut > start) {
        const at = blankCut > start ? blankCut : lineCut;
        yield prefix + src.slice(start, at);
        prefix = at === blankCut ? '' : lineCutFence && `${lineCutFence}\n`;
        start = at;
      }
      // One line longer than a chunk: cut it at a space (or anywhere, not inside a surrogate pair).
      while (next - start > size) {
        const half = start + size / 2; // look back half a chunk at most: linear on a line with no space
        const space = src.slice(half, start + size).lastIndexOf(' ');
        const at = space > 0 ? half + space : start + size - (isHighSurrogate(src.charCodeAt(start + size - 1)) ? 1 : 0);
        yield prefix + src.slice(start, at);
        prefix = fence && `${fence}\n`;
        start = at;
      }
    }
    const marker = fenceOf(src, pos, next);
    if (marker && !fence) fence = marker;
    else if (marker && fence && marker[0] === fence[0] && marker.length >= fence.length) fence = '';
    if (!fence && !marker && isBlank(src, pos, next)) blankCut = next;
    lineCut = next;
    lineCutFence = fence;
    pos = next;
  }
  if (start < src.length) yield prefix + src.slice(start);
}

function withoutFinalNewlines(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x0a) end--;
  return s.slice(0, end);
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;

function inline(children: readonly Token[], sink: TextSink): void {
  for (const token of children) {
    switch (token.type) {
      case 'text':
      case 'text_special':
      case 'code_inline':
        sink.text(token.content);
        break;
      case 'image':
        inline(token.children ?? [], sink); // its alt text, one level deep
        break;
      case 'softbreak':
        sink.text(' ');
        break;
      case 'hardbreak':
        sink.lineBreak(1);
        break;
      default: // markup: emphasis, links, inline HTML tags
    }
  }
}
