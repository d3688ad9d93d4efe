/**
 * Code-point positions of a text. Tokenizers (and Python, and the API's default offsets)
 * count code points; JavaScript strings index UTF-16 units, where a character outside the
 * Basic Multilingual Plane (an emoji, 𝐁) takes two. A lone surrogate counts as one code
 * point, as in tokenize.ts.
 */
export class CodePoints {
  /** utf16[cp]: the UTF-16 index where code point `cp` starts; utf16[length] is the text's end. */
  private readonly utf16: Uint32Array;

  constructor(readonly text: string) {
    const starts: number[] = [];
    for (let i = 0; i < text.length; i++) {
      starts.push(i);
      const c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        const d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) i++;
      }
    }
    starts.push(text.length);
    this.utf16 = Uint32Array.from(starts);
  }

  get length(): number {
    return this.utf16.length - 1;
  }

  /** The UTF-16 index of code point `cp` (0 to length). */
  toUtf16(cp: number): number {
    return this.utf16[cp]!;
  }

  /** The code point at `cp` as a string, or '' past the end. */
  at(cp: number): string {
    return cp < 0 || cp >= this.length ? '' : this.text.slice(this.utf16[cp], this.utf16[cp + 1]);
  }
}

/** Code points in `s` (what Python's len() counts). */
export function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
