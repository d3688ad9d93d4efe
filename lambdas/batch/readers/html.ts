/**
 * HTML to plain text on htmlparser2's Tokenizer, in one linear pass with no tree.
 *
 * htmlparser2's Parser keeps its open elements with Array.unshift and closes them with
 * indexOf (work proportional to the depth, per tag): quadratic on deep nesting, as is any
 * DOM walk on a 60,000-deep tree (html-to-text overflowed the stack at 2,000). So the
 * elements are tracked here: a stack of at most `maxDepth` (deeper elements are
 * flattened, their text kept, as browsers do past 512) and a count per open name, so a
 * closing tag with no open element is dropped in constant time and every other pops
 * what it closes once. Text is written to a TextSink as it comes: case kept (headings and
 * table headers included), blocks on their own lines, table cells split by tabs.
 */
import { Tokenizer, type TokenizerCallbacks } from 'htmlparser2';
import type { Deadline } from './limits.js';
import { overTextLimit, TextSink } from './text-sink.js';

const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'keygen', 'link', 'meta', 'param', 'source', 'track', 'wbr']);
/** Raw-text elements: the Tokenizer reads their content as text, up to their own end tag. Some hold no document text. */
const RAW = new Map([...['script', 'style', 'noembed', 'noframes', 'iframe'].map((n) => [n, 'skip'] as const), ['title', 'title'] as const, ...['textarea', 'xmp', 'plaintext'].map((n) => [n, 'verbatim'] as const)]);
/** Elements whose content is markup but not document text. */
const SKIPPED = new Set(['template']);
const PARAGRAPHS = new Set(['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'pre', 'ul', 'ol', 'dl', 'table', 'figure', 'hr', 'address', 'fieldset', 'form', 'main', 'article', 'section', 'aside', 'header', 'footer', 'nav', 'details']);
const LINES = new Set(['div', 'li', 'dt', 'dd', 'tr', 'br', 'caption', 'figcaption', 'summary', 'legend', 'thead', 'tbody', 'tfoot', 'option', 'body', 'center']);
const CELLS = new Set(['td', 'th']);

export interface HtmlText {
  readonly text: string;
  readonly title?: string;
}

export function htmlToText(html: string, limits: { maxDepth: number; maxTextChars: number }, deadline: Deadline): HtmlText {
  const sink = new TextSink(limits.maxTextChars);
  const stack: string[] = [];
  const open = new Map<string, number>();
  let skipped = 0; // open SKIPPED elements on the stack
  let pre = 0; // open <pre> elements on the stack
  let raw: string | undefined; // the raw-text element whose content comes next
  let title: string[] | undefined; // collecting the first <title>
  let titleChars = 0;
  let titleDone = false;
  let tagName = '';
  let events = 0;

  const block = (name: string) => {
    if (PARAGRAPHS.has(name)) sink.lineBreak(2);
    else if (LINES.has(name)) sink.lineBreak(1);
    else if (CELLS.has(name)) sink.tab();
  };
  const push = (name: string) => {
    if (stack.length >= limits.maxDepth) return; // flattened: its text is kept, its structure dropped
    stack.push(name);
    open.set(name, (open.get(name) ?? 0) + 1);
    if (SKIPPED.has(name)) skipped++;
    if (name === 'pre') pre++;
  };
  const pop = () => {
    const name = stack.pop()!;
    const count = open.get(name)!;
    if (count > 1) open.set(name, count - 1);
    else open.delete(name);
    if (SKIPPED.has(name)) skipped--;
    if (name === 'pre') pre--;
    block(name);
  };
  const text = (s: string) => {
    if (raw !== undefined) {
      const kind = RAW.get(raw);
      if (kind === 'title' && title && !titleDone) {
        if ((titleChars += s.length) > limits.maxTextChars) throw overTextLimit(limits.maxTextChars);
        title.push(s);
      } else if (kind === 'verbatim' && skipped === 0) sink.verbatim(s);
      return;
    }
    if (skipped > 0) return;
    if (pre > 0) sink.verbatim(s);
    else sink.text(s);
  };
  const tick = () => {
    if ((++events & 0xfff) === 0) deadline.check();
  };

  const callbacks: TokenizerCallbacks = {
    onopentagname(start, end) {
      tick();
      const name = html.slice(start, end).toLowerCase();
      tagName = name;
      block(name);
      if (name === 'title' && !titleDone) title = [];
      if (VOID.has(name)) return;
      push(name);
    },
    onopentagend() {
      // The Tokenizer reads the content of these as text up to their own end tag.
      if (RAW.has(tagName)) raw = tagName;
    },
    onselfclosingtag() {
      this.onopentagend(0);
    },
    onclosetag(start, end) {
      tick();
      const name = html.slice(start, end).toLowerCase();
      if (raw !== undefined && name === raw) {
        if (raw === 'title' && title) titleDone = true;
        raw = undefined;
      }
      if (VOID.has(name)) {
        if (name === 'br') sink.lineBreak(1);
        return;
      }
      if (!open.get(name)) return; // nothing open by that name: dropped
      while (stack.length > 0 && stack[stack.length - 1] !== name) pop();
      pop();
    },
    ontext(start, end) {
      tick();
      text(html.slice(start, end));
    },
    ontextentity(codepoint) {
      tick();
      text(String.fromCodePoint(codepoint));
    },
    onattribdata() {},
    onattribentity() {},
    onattribend() {},
    onattribname() {},
    oncdata() {},
    oncomment() {},
    ondeclaration() {},
    onprocessinginstruction() {},
    onend() {},
  };
  const tokenizer = new Tokenizer({ decodeEntities: true }, callbacks);
  tokenizer.write(html);
  tokenizer.end();
  const titleText = title?.join('').replace(/[ \t\n\r\f\u00a0]+/g, ' ').trim();
  return { text: sink.toString().trim(), title: titleText || undefined };
}
