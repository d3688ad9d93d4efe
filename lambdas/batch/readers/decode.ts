/**
 * Bytes to text: which encoding, whether it is text at all, and the decoding itself.
 *
 * One pass over the whole file (no copy) counts NUL bytes by position, control bytes and
 * the UTF-8 sequences that are valid and invalid, and the rule is:
 *
 * 1. A byte-order mark decides: UTF-8 (EF BB BF), UTF-16LE (FF FE), UTF-16BE (FE FF).
 * 2. No mark, and at least 3/4 of the 2-byte units an ASCII character (tab, line feed,
 *    carriage return, printable) next to a NUL in the same place (high byte second:
 *    LE, first: BE): BOM-less UTF-16, as Windows writes Latin-script text.
 * 3. Any other NUL byte, or control bytes (C0 but tab, line feed, vertical tab, form
 *    feed, carriage return and escape; and DEL) over 5% of the file: binary, refused.
 *    UTF-16 text is checked the same way on its decoded characters.
 * 4. UTF-8, unless invalid sequences outnumber the valid multi-byte ones: then most of
 *    the high bytes are not UTF-8, and the file is Windows-1252 (old newswire, Word
 *    exports). Under UTF-8 an invalid byte becomes U+FFFD; the rest decodes as it is.
 */
import { UnreadableError } from '../../shared/errors.js';

export type Encoding = 'utf-8' | 'windows-1252' | 'utf-16le' | 'utf-16be';

export interface Sniffed {
  readonly encoding: Encoding;
  /** Bytes of the byte-order mark to skip. */
  readonly bom: number;
}

const CONTROL_SHARE = 0.05;

/** C0 controls but \t \n \v \f \r and ESC (coloured logs), and DEL. */
const isControl = (c: number) => (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0b && c !== 0x0c && c !== 0x0d && c !== 0x1b) || c === 0x7f;

const binary = (why: string) => new UnreadableError(`the file holds binary data (${why}), not text`);

function refuseControls(controls: number, total: number): void {
  if (total > 0 && controls / total > CONTROL_SHARE) {
    throw binary(`${Math.round((100 * controls) / total)}% control characters`);
  }
}

/** The file's encoding, or UnreadableError when it is binary. Linear in the file, no copy. */
export function sniff(bytes: Uint8Array): Sniffed {
  const n = bytes.length;
  if (n >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return checked(bytes, { encoding: 'utf-8', bom: 3 });
  if (n >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'utf-16le', bom: 2 };
  if (n >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'utf-16be', bom: 2 };
  return checked(bytes, undefined);
}

/** The counting pass; `known` is a UTF-8 file (its mark seen), else the encoding is decided here. */
function checked(bytes: Uint8Array, known: Sniffed | undefined): Sniffed {
  const n = bytes.length;
  let nulEven = 0;
  let nulOdd = 0;
  let controls = 0;
  let valid = 0; // valid multi-byte UTF-8 sequences
  let invalid = 0; // bytes that start or break an invalid one
  let i = known?.bom ?? 0;
  while (i < n) {
    const c = bytes[i]!;
    if (c < 0x80) {
      if (c === 0) {
        if (i & 1) nulOdd++;
        else nulEven++;
      } else if (isControl(c)) controls++;
      i++;
      continue;
    }
    const len = sequenceLength(bytes, i);
    if (len > 0) {
      valid++;
      i += len;
    } else {
      invalid++;
      i++;
    }
  }
  if (!known && n >= 4 && n % 2 === 0) {
    const units = n / 2;
    if (nulOdd >= (units * 3) / 4 && asciiUnits(bytes, 0) >= (units * 3) / 4) return { encoding: 'utf-16le', bom: 0 };
    if (nulEven >= (units * 3) / 4 && asciiUnits(bytes, 1) >= (units * 3) / 4) return { encoding: 'utf-16be', bom: 0 };
  }
  if (nulEven + nulOdd > 0) throw binary('NUL bytes');
  refuseControls(controls, n);
  if (known) return known;
  return { encoding: invalid > 0 && invalid > valid ? 'windows-1252' : 'utf-8', bom: 0 };
}

/** 2-byte units whose byte at `low` (0: LE, 1: BE) is ASCII text and the other NUL. */
function asciiUnits(b: Uint8Array, low: 0 | 1): number {
  let count = 0;
  for (let i = 0; i + 1 < b.length; i += 2) {
    const c = b[i + low]!;
    if (b[i + 1 - low] === 0 && ((c >= 0x20 && c < 0x7f) || c === 0x09 || c === 0x0a || c === 0x0d)) count++;
  }
  return count;
}

/** Length of the valid UTF-8 sequence (2-4 bytes) starting at `i`, or 0 (WHATWG's rules: no overlongs, surrogates or > U+10FFFF). */
function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => {
    const x = b[i + k];
    return x !== undefined && x >= lo && x <= hi;
  };
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const lo = c === 0xe0 ? 0xa0 : 0x80;
    const hi = c === 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const lo = c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/** Windows-1252's 0x80-0x9F (Node's TextDecoder('windows-1252') decodes them as Latin-1's C1 controls). */
const CP1252_HIGH = '\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178';

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** Decodes bytes[start, end) in the sniffed encoding (the mark is the caller's to skip). */
export function decodeRange(bytes: Uint8Array, encoding: Encoding, start = 0, end = bytes.length): string {
  const view = bytes.subarray(start, end);
  switch (encoding) {
    case 'utf-8':
      return utf8.decode(view);
    case 'windows-1252':
      return Buffer.from(view.buffer, view.byteOffset, view.byteLength)
        .toString('latin1')
        .replace(/[\x80-\x9f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!);
    default: {
      const text = new TextDecoder(encoding, { ignoreBOM: true }).decode(view);
      let nul = 0;
      let controls = 0;
      for (let k = 0; k < text.length; k++) {
        const c = text.charCodeAt(k);
        if (c === 0) nul++;
        else if (c < 0x80 && isControl(c)) controls++;
      }
      if (nul > 0) throw binary('NUL characters');
      refuseControls(controls, text.length);
      return text;
    }
  }
}

/** The whole file as text, or UnreadableError (binary). */
export function decodeText(bytes: Uint8Array): string {
  const { encoding, bom } = sniff(bytes);
  return decodeRange(bytes, encoding, bom);
}

/**
 * Control characters (C0 but tab, line feed and carriage return; DEL; C1) out of the
 * text, one for one so that offsets do not move: vertical tab and form feed become line
 * feeds, the rest spaces. Snippets and titles are shown to people and terminals.
 */
export function sanitize(text: string): string {
  return text.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/g, (c) => (c === '\v' || c === '\f' ? '\n' : ' '));
}
