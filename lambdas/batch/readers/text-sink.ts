/**
 * Where the HTML and Markdown readers write their text: whitespace collapsed (outside
 * `<pre>`), line breaks between blocks, and the size limit checked as it grows, so a
 * reader stops as soon as the output is over it instead of building it whole first.
 */
import { UnreadableError } from '../../shared/errors.js';

export const overTextLimit = (max: number, chars?: number) =>
  new UnreadableError(`the document's text is ${chars === undefined ? '' : `${chars} characters, `}over the limit of ${max} characters`);

const WHITESPACE = /[ \t\n\r\f\u00a0]+/g;

export class TextSink {
  /** Joined runs of parts: a million one-character parts would otherwise cost ~80 bytes each. */
  private readonly blocks: string[] = [];
  private parts: string[] = [];
  private length = 0;
  /** Pending before the next text: line feeds (0-2), else a separator ('', ' ' or a tab). */
  private breaks = 0;
  private separator = '';
  private atLineStart = true;

  constructor(private readonly maxChars: number) {}

  /** Text as it flows in a paragraph: runs of whitespace become one space. */
  text(raw: string): void {
    if (raw === '') return;
    const s = raw.replace(WHITESPACE, ' ');
    const lead = s.charCodeAt(0) === 0x20;
    const trail = s.charCodeAt(s.length - 1) === 0x20;
    if (lead) this.space();
    if (s.length > (lead ? 1 : 0) + (trail ? 1 : 0)) this.emit(s.slice(lead ? 1 : 0, trail ? -1 : undefined));
    if (trail) this.space();
  }

  /** Text kept as it is (`<pre>`, code blocks). */
  verbatim(s: string): void {
    if (s === '') return;
    this.emit(s);
    if (s.endsWith('\n')) this.atLineStart = true;
  }

  /** Ends the line: `count` line feeds before the next text (2: a paragraph), none at the start. */
  lineBreak(count = 1): void {
    this.breaks = Math.max(this.breaks, count);
    this.separator = '';
  }

  /** A tab before the next text on this line (between the cells of a row). */
  tab(): void {
    if (this.breaks === 0 && !this.atLineStart) this.separator = '\t';
  }

  private space(): void {
    if (this.breaks === 0 && !this.atLineStart && this.separator === '') this.separator = ' ';
  }

  toString(): string {
    return this.blocks.join('') + this.parts.join('');
  }

  private emit(s: string): void {
    if (this.breaks > 0) {
      if (this.length > 0) this.push(this.breaks > 1 ? '\n\n' : '\n');
    } else if (this.separator !== '') this.push(this.separator);
    this.breaks = 0;
    this.separator = '';
    this.push(s);
    this.atLineStart = false;
  }

  private push(s: string): void {
    this.length += s.length;
    if (this.length > this.maxChars) throw overTextLimit(this.maxChars);
    this.parts.push(s);
    if (this.parts.length >= 4096) {
      this.blocks.push(this.parts.join(''));
      this.parts = [];
    }
  }
}
