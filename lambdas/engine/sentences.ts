/**
 * Sentence splitting and windowing over a token stream.
 *
 * Sentences bound the context a model sees, as in its training data. A "sentence" can
 * still be arbitrarily long (a 1 MB text with no punctuation), so the engine cuts any
 * sentence longer than a window into overlapping windows and stitches their emission
 * scores back together before decoding once over the whole sentence: no entity can be
 * lost or counted twice at a window edge.
 */
import { ConfigError } from '../shared/errors.js';
import type { Token } from './tokenize.js';

const TERMINAL = new Set(['.', '!', '?', '…', '。', '！', '？']);
const CLOSERS = new Set(['"', "'", ')', ']', '}', '’', '”', '»']);

function startsLikeSentence(token: Token): boolean {
  const first = token.text.codePointAt(0) ?? 0;
  const ch = String.fromCodePoint(first);
  // Upper case, a digit, an opening quote or bracket: anything but a lower-case letter.
  return ch === ch.toUpperCase() || !/\p{L}/u.test(ch);
}

/** Group tokens into sentences lazily; memory stays one sentence deep. */
export function* sentences(tokens: Iterable<Token>): Generator<Token[]> {
  let current: Token[] = [];
  let ended = false; // the previous token closed a sentence (possibly followed by closers)
  let prevEnd = -1;
  for (const token of tokens) {
    // A quote or bracket glued to the end of a sentence closes it; one after a space opens the next.
    const closes = CLOSERS.has(token.text) && token.start === prevEnd;
    prevEnd = token.end;
    const breakHere =
      current.length > 0 &&
      (token.afterBlankLine || (ended && !closes && (token.afterNewline || startsLikeSentence(token))));
    if (breakHere) {
      yield current;
      current = [];
      ended = false;
    }
    current.push(token);
    if (TERMINAL.has(token.text)) ended = true;
    else if (!closes) ended = false;
  }
  if (current.length > 0) yield current;
}

export interface Window {
  /** First token of the window, in the sentence. */
  readonly start: number;
  /** One past the last token of the window. */
  readonly end: number;
  /** The tokens whose scores this window provides: [ownStart, ownEnd). */
  readonly ownStart: number;
  readonly ownEnd: number;
}

/**
 * Windows of at most `size` tokens over a sentence of `length` tokens. Neighbouring
 * windows overlap by 2 * `context` tokens; each token takes its scores from the window
 * where it sits furthest from an edge, so it always has `context` tokens on each side.
 */
export function windows(length: number, size: number, context: number): Window[] {
  if (size <= 2 * context) throw new ConfigError(`window size ${size} must exceed twice the context ${context}`);
  if (length <= size) return [{ start: 0, end: length, ownStart: 0, ownEnd: length }];
  const out: Window[] = [];
  for (let ownStart = 0; ownStart < length; ownStart = out[out.length - 1]!.ownEnd) {
    const start = Math.max(0, ownStart - context);
    const end = Math.min(length, start + size);
    const ownEnd = end === length ? length : end - context;
    out.push({ start, end, ownStart, ownEnd });
    if (ownEnd === length) break;
  }
  return out;
}
