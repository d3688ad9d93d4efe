/**
 * Tokenization with exact offsets in UTF-16 code units and in Unicode code points.
 *
 * Tokens follow CoNLL-2003's conventions (the data the models learn from): punctuation
 * split off, `'s` a token of its own, abbreviations such as `U.S.` and `Inc.` kept
 * whole, numbers such as `1,000.5` and dates such as `1996-08-22` kept whole.
 * Anything the rules do not cover (a symbol, an emoji, a lone surrogate) becomes a token
 * of one code point or grapheme-like cluster, so every non-space character is covered.
 */

export interface Token {
  /** The token's characters: `text.slice(start, end)`. */
  readonly text: string;
  /** UTF-16 offsets (what JavaScript strings index). */
  readonly start: number;
  readonly end: number;
  /** Code-point offsets (what Python, Amazon Comprehend and the API default use). */
  readonly cpStart: number;
  readonly cpEnd: number;
  /** True when a line break (or more) separates this token from the one before it. */
  readonly afterNewline: boolean;
  /** True when a blank line (a paragraph break) separates this token from the one before it. */
  readonly afterBlankLine: boolean;
}

const ABBREVIATIONS = new Set(
  ('mr mrs ms dr prof st jr sr co corp inc ltd plc bros gen gov sen rep rev col lt sgt capt ' +
    'jan feb mar apr jun jul aug sep sept oct nov dec no vs etc est ft mt').split(' '),
);

// Separators: white space plus the invisible characters that never belong inside a word.
const SPACE = '[\\s\\u200B\\u2060\\uFEFF]';
const WORD_CHAR = '[\\p{L}\\p{M}\\p{N}_\\u200C\\u200D]';
const CJK = '[\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}]';
const EMOJI =
  '(?:\\p{Regional_Indicator}{2}|\\p{Extended_Pictographic}(?:[\\uFE0F\\p{M}\\u{1F3FB}-\\u{1F3FF}]|\\u200D\\p{Extended_Pictographic})*)';
const PATTERN = new RegExp(
  [
    `(?<space>${SPACE}+)`,
    `(?<acronym>(?:\\p{L}\\.){2,})`,
    `(?<number>\\p{Nd}+(?:[.,:/-]\\p{Nd}+)*(?!${WORD_CHAR}))`,
    `(?<clitic>['\u2019](?:[sSdDmM]|re|RE|ve|VE|ll|LL)(?!${WORD_CHAR}))`,
    `(?<emoji>${EMOJI})`,
    `(?<cjk>${CJK}\\p{M}*)`,
    // A word: letters, marks and digits, joined by hyphens, inner apostrophes (O'Neill) or
    // `&` (AT&T); an apostrophe that starts a clitic ('s, 're) ends the word instead.
    `(?<word>(?:(?!${CJK})${WORD_CHAR})+(?:(?:[-&]|['\u2019](?!(?:[sSdDmM]|re|RE|ve|VE|ll|LL)(?!${WORD_CHAR})))(?:(?!${CJK})${WORD_CHAR})+)*)`,
    `(?<other>[\\s\\S]\\p{M}*)`,
  ].join('|'),
  'gu',
);

/** Count code points in `text` between two UTF-16 offsets (a lone surrogate counts as one). */
export function codePointsBetween(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point: skip the low half.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < to) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** Tokenize `text` lazily, so a long document never holds more than its tokens. */
export function* tokenize(text: string): Generator<Token> {
  let cpCursor = 0;
  let utf16Cursor = 0;
  let newlines = 0;
  const pattern = new RegExp(PATTERN); // own lastIndex: generators may interleave
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    const start = m.index;
    const groups = m.groups ?? {};
    if (groups.space !== undefined) {
      newlines += (groups.space.match(/\n|\r(?!\n)/g) ?? []).length;
      continue;
    }
    let value = m[0];
    // A known abbreviation keeps its period ("Inc.", "Mr."), as CoNLL's tokens do.
    if (groups.word !== undefined && text[start + value.length] === '.' && ABBREVIATIONS.has(value.toLowerCase())) {
      value += '.';
      pattern.lastIndex = start + value.length;
    }
    const end = start + value.length;
    const cpStart = cpCursor + codePointsBetween(text, utf16Cursor, start);
    const cpEnd = cpStart + codePointsBetween(text, start, end);
    yield { text: value, start, end, cpStart, cpEnd, afterNewline: newlines > 0, afterBlankLine: newlines > 1 };
    cpCursor = cpEnd;
    utf16Cursor = end;
    newlines = 0;
  }
}
