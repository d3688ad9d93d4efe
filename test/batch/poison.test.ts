/**
 * A poison corpus, generated here: files built to make a reader take super-linear time,
 * unbounded memory or the whole stack. Each must settle, as documents or as an
 * UnreadableError whose reason quotes no document text, within SETTLE_MS on this
 * machine (2 shared cores), with the default limits the batch handler uses.
 *
 * The sizes are the issue's, in full: the 100 MB single-line JSON-lines file and the
 * million tiny lines run here as they are. Measured once outside vitest (`npx tsx`, a
 * script timing readDocuments with performance.now(), same machine): 100 MB single line
 * 0.38 s at 194 MB RSS, a million tiny lines 0.17 s; and past the suite, 50 MB of
 * `*a **a ` as Markdown fails on the text limit after 8 s at 415 MB RSS, 50 MB of
 * nested `<div>`s reads in 1.5 s.
 */
import { randomBytes } from 'node:crypto';
import { deflateRawSync, inflateSync, constants as zlib } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_READER_LIMITS, readDocuments, type ReaderLimits, type SourceDocument } from '../../lambdas/batch/readers.js';
import { UnreadableError } from '../../lambdas/shared/errors.js';

const SETTLE_MS = 5_000;
const TEST_MS = 20_000;
const enc = (s: string) => new TextEncoder().encode(s);

interface Settled {
  readonly docs?: SourceDocument[];
  readonly error?: UnreadableError;
  readonly ms: number;
}

/** Reads, and checks the contract: documents or an UnreadableError, in time, no text in any reason. */
async function settle(key: string, bytes: Uint8Array, secrets: readonly string[], limits?: Partial<ReaderLimits>): Promise<Settled> {
  const t0 = performance.now();
  let docs: SourceDocument[] | undefined;
  let error: unknown;
  try {
    docs = await readDocuments(key, bytes, limits);
  } catch (e) {
    error = e;
  }
  const ms = performance.now() - t0;
  if (error !== undefined) expect(error, String(error)).toBeInstanceOf(UnreadableError);
  expect(ms, `${key} took ${ms.toFixed(0)} ms`).toBeLessThan(SETTLE_MS);
  const reasons = [...(error ? [(error as Error).message] : []), ...(docs ?? []).flatMap((d) => (d.failure ? [d.failure] : []))];
  for (const reason of reasons) {
    expect(reason.length).toBeLessThan(300);
    for (const secret of secrets) expect(reason).not.toContain(secret);
  }
  return { docs, error: error as UnreadableError | undefined, ms };
}

const repeat = (unit: string, times: number) => unit.repeat(times);

// The CommonMark pathological inputs (cmark's test/pathological_tests.py), and the issue's.
const MARKDOWN: Record<string, string> = {
  'emphasis openers, 300 KB': repeat('_a ', 100_000),
  'nested strong emphasis': repeat('*a **a ', 65_000) + 'b' + repeat(' a** a*', 65_000),
  'emphasis closers with no openers': repeat('a_ ', 65_000),
  'mismatched openers and closers': repeat('*a_ ', 50_000),
  'openers and closers multiple of 3': 'a**b' + repeat('c* ', 50_000),
  'link openers and emphasis closers': repeat('[ a_', 50_000),
  'link closers with no openers': repeat('a]', 65_000),
  'link openers with no closers': repeat('[a', 65_000),
  'pattern [ (](': repeat('[ (](', 80_000),
  'nested brackets': repeat('[', 50_000) + 'a' + repeat(']', 50_000),
  'nested block quotes': repeat('> ', 50_000) + 'a',
  'deeply nested lists': Array.from({ length: 1_000 }, (_, i) => `${repeat('  ', i)}* a\n`).join(''),
  backticks: Array.from({ length: 5_000 }, (_, i) => `e${repeat('`', i)}`).join(''),
  'unclosed links A': repeat('[a](<b', 30_000),
  'unclosed links B': repeat('[a](b', 30_000),
  'unclosed comments': '</' + repeat('<!--', 300_000),
  'many reference definitions': repeat('[a]: u\n', 50_000) + repeat('[a] ', 10_000),
  'a 10 MB word': repeat('a', 10_000_000),
};

const HTML: Record<string, string> = {
  '60,000 nested divs': repeat('<div>', 60_000) + 'deep' + repeat('</div>', 60_000),
  'nested divs, then unmatched closers': repeat('<div>', 60_000) + repeat('</span>', 200_000),
  'nested tables': repeat('<table><tr><td>', 30_000) + 'x',
  'unclosed titles': repeat('<title>a', 100_000),
  'unclosed comment': '<p>a<!--' + repeat('a-', 1_000_000),
  'unclosed attribute': '<p title="' + repeat('a ', 1_000_000),
  'a million angle brackets': repeat('<', 1_000_000),
  'a million entities': repeat('&amp;&#x41;&bogus;&#99999999;', 200_000),
  'a million implied list items': repeat('<li>a', 1_000_000),
  'a 10 MB word': '<p>' + repeat('a', 10_000_000),
};

describe('poison: Markdown', () => {
  for (const [name, md] of Object.entries(MARKDOWN)) {
    it(`settles: ${name}`, { timeout: TEST_MS }, async () => {
      await settle('poison.md', enc(md), [md.slice(0, 12)]);
    });
  }

  it('reads in linear time: 4 times the input takes well under 16 times as long', { timeout: TEST_MS }, async () => {
    const time = async (n: number) => {
      const bytes = enc(repeat('_a ', n));
      let best = Infinity;
      for (let i = 0; i < 3; i++) best = Math.min(best, (await settle('lin.md', bytes, [])).ms);
      return best;
    };
    const small = await time(25_000);
    const large = await time(100_000);
    expect(large).toBeLessThan(8 * small + 100);
  });
});

describe('poison: HTML', () => {
  for (const [name, html] of Object.entries(HTML)) {
    it(`settles: ${name}`, { timeout: TEST_MS }, async () => {
      await settle('poison.html', enc(html), [html.slice(0, 12)]);
    });
  }

  it('keeps the text under 60,000 nested divs', { timeout: TEST_MS }, async () => {
    const { docs } = await settle('deep.html', enc(repeat('<div>', 60_000) + 'Société Générale' + repeat('</div>', 60_000)), []);
    expect(docs?.[0]?.text.trim()).toBe('Société Générale');
  });
});

describe('poison: JSON and JSON lines', () => {
  it('settles: a million nested arrays', { timeout: TEST_MS }, async () => {
    const { error } = await settle('deep.json', enc(repeat('[', 1_000_000) + repeat(']', 1_000_000)), ['[[[[']);
    expect(error?.message).toMatch(/nested deeper than \d+ levels at line 1, column \d+/);
  });

  it('settles: deep nesting beside the text, and unbalanced', { timeout: TEST_MS }, async () => {
    await settle('deep.json', enc(`{"text": "Société Générale", "x": ${repeat('{"a":', 1_000_000)}1${repeat('}', 1_000_000)}}`), ['Soci', '{"a"']);
    await settle('open.json', enc(repeat('[', 4_000_000)), ['[[[[']);
  });

  it('settles: an array of a million documents, capped', { timeout: TEST_MS }, async () => {
    const { docs } = await settle('many.json', enc(JSON.stringify(Array.from({ length: 1_000_000 }, () => 'Kohl'))), ['Kohl']);
    expect(docs).toHaveLength(DEFAULT_READER_LIMITS.maxDocuments + 1);
    expect(docs!.at(-1)!.failure).toMatch(/at most \d+ documents/);
  });

  it('settles: a 100 MB single-line file, failing its one line', { timeout: TEST_MS }, async () => {
    const size = 100 * 1024 * 1024;
    const bytes = new Uint8Array(size).fill(0x61); // 'a'
    bytes.set(enc('{"text": "Société Générale '), 0);
    bytes.set(enc('"}'), size - 2);
    const { docs } = await settle('huge.jsonl', bytes, ['Soci', 'aaaa']);
    expect(docs).toEqual([{ line: 1, text: '', failure: expect.stringMatching(/line 1 is \d+ bytes, over the limit/) }]);
  });

  it('settles: a million tiny lines, capped', { timeout: TEST_MS }, async () => {
    const { docs } = await settle('tiny.jsonl', enc(repeat('{"text":"Kohl"}\n', 1_000_000)), ['Kohl']);
    expect(docs).toHaveLength(DEFAULT_READER_LIMITS.maxDocuments + 1);
    expect(docs![0]).toEqual({ line: 1, text: 'Kohl' });
    expect(docs!.at(-1)).toEqual({ line: DEFAULT_READER_LIMITS.maxDocuments + 1, text: '', failure: expect.stringMatching(/at most \d+ documents/) });
  });

  it('settles: ten million empty lines, and a deep line', { timeout: TEST_MS }, async () => {
    expect((await settle('empty.jsonl', enc(repeat('\n', 10_000_000)), [])).docs).toEqual([]);
    const { docs } = await settle('deep.jsonl', enc(`"a"\n${repeat('[', 500_000)}\n"b"`), ['[[[[']);
    expect(docs!.map((d) => d.failure ?? d.text)).toEqual(['a', expect.stringMatching(/line 2 is not valid JSON: nested deeper/), 'b']);
  });
});

/** A PDF, byte by byte with a correct xref table: one page per content stream (raw bytes, Flate-compressed when `flate`). */
function pdfOf(pages: readonly { content: Uint8Array; flate?: boolean }[], count = pages.length): Uint8Array {
  const chunks: Uint8Array[] = [];
  let length = 0;
  const offsets: number[] = [];
  const push = (part: Uint8Array | string) => {
    const b = typeof part === 'string' ? enc(part) : part;
    chunks.push(b);
    length += b.length;
  };
  const object = (body: (string | Uint8Array)[]) => {
    offsets.push(length);
    push(`${offsets.length} 0 obj\n`);
    for (const part of body) push(part);
    push('\nendobj\n');
  };
  push('%PDF-1.4\n');
  const kids = pages.map((_, i) => `${4 + 2 * i} 0 R`).join(' ');
  object(['<< /Type /Catalog /Pages 2 0 R >>']);
  object([`<< /Type /Pages /Kids [${kids}] /Count ${count} >>`]);
  object(['<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>']);
  pages.forEach(({ content, flate }, i) => {
    object([`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${5 + 2 * i} 0 R /Resources << /Font << /F1 3 0 R >> >> >>`]);
    object([`<< /Length ${content.length}${flate ? ' /Filter /FlateDecode' : ''} >>\nstream\n`, content, '\nendstream']);
  });
  const xref = length;
  push(`xref\n0 ${offsets.length + 1}\n0000000000 65535 f \n`);
  for (const o of offsets) push(`${String(o).padStart(10, '0')} 00000 n \n`);
  push(`trailer\n<< /Size ${offsets.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) out.set(c, (at += c.length) - c.length);
  return out;
}

const textPage = (text: string) => ({ content: enc(`BT /F1 12 Tf 72 720 Td (${text}) Tj ET`) });

/**
 * A zlib stream of `times` × 16 MiB of spaces in about 16 KB each: 16 MiB compressed once,
 * ending in a full flush (byte-aligned, no back-reference across it), repeated, then a
 * final block and the Adler-32 of the whole, which for one repeated byte is computed directly.
 */
function flateBomb(times: number): Uint8Array {
  const chunk = 16 * 1024 * 1024;
  const block = deflateRawSync(Buffer.alloc(chunk, 0x20), { level: 9, finishFlush: zlib.Z_FULL_FLUSH });
  const total = chunk * times;
  const tail = deflateRawSync(Buffer.alloc(0));
  const a = (1 + 0x20 * total) % 65521;
  // b = Σ a_i for i = 1..total, a_i = 1 + 0x20·i
  const b = Number((BigInt(total) + 0x20n * ((BigInt(total) * BigInt(total + 1)) / 2n)) % 65521n);
  const out = Buffer.alloc(2 + block.length * times + tail.length + 4);
  out[0] = 0x78;
  out[1] = 0xda;
  for (let i = 0; i < times; i++) block.copy(out, 2 + i * block.length);
  tail.copy(out, 2 + block.length * times);
  out.writeUInt32BE(((b << 16) | a) >>> 0, out.length - 4);
  return out;
}

/** A zip holding one entry that inflates to 1 GiB, named .pdf. */
function zipBomb(): Uint8Array {
  const data = deflateRawSync(Buffer.alloc(64 * 1024 * 1024)); // 64 MiB, and the same again 16 times
  const header = Buffer.alloc(30);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(20, 4);
  header.writeUInt16LE(8, 8); // deflate
  header.writeUInt32LE(data.length * 16, 18);
  header.writeUInt32LE(1024 * 1024 * 1024 - 1, 22);
  return Buffer.concat([header, ...Array.from({ length: 16 }, () => data)]);
}

describe('poison: PDF', () => {
  it('checks the bomb helper: a valid zlib stream, about 1 MB per GiB', () => {
    expect(inflateSync(flateBomb(2)).equals(Buffer.alloc(32 * 1024 * 1024, 0x20))).toBe(true);
    expect(flateBomb(64).length).toBeLessThan(2 * 1024 * 1024);
  });

  it('settles: a page whose content stream inflates to 1 GiB', { timeout: TEST_MS }, async () => {
    const { error } = await settle('bomb.pdf', pdfOf([{ content: flateBomb(64), flate: true }]), []);
    expect(error?.message).toMatch(/decompress/);
  });

  it('settles: a zip bomb named .pdf', { timeout: TEST_MS }, async () => {
    const { error } = await settle('zip.pdf', zipBomb(), []);
    expect(error?.message).toMatch(/PDF/);
  });

  it('settles: a PDF with more pages than the limit, failing it before reading', { timeout: TEST_MS }, async () => {
    const { error } = await settle('long.pdf', pdfOf(Array.from({ length: 4 }, (_, i) => textPage(`Page ${i + 1} of Kohl`))), ['Kohl'], { maxPdfPages: 3 });
    expect(error?.message).toMatch(/4 pages, over the limit of 3/);
    // A page tree claiming a billion pages: pdf.js counts the pages the tree holds, so it reads the one.
    const claims = await settle('claims.pdf', pdfOf([textPage('Kohl')], 1_000_000_000), []);
    expect(claims.docs?.[0]?.text ?? claims.error?.message).toMatch(/Kohl|pages, over the limit/);
  });

  it('reads a PDF within the limits', { timeout: TEST_MS }, async () => {
    const { docs } = await settle('ok.pdf', pdfOf(Array.from({ length: 3 }, (_, i) => textPage(`Page ${i + 1} of Kohl`))), [], { maxPdfPages: 3 });
    expect(docs![0]!.text).toMatch(/Page 1 of Kohl\s+Page 2 of Kohl\s+Page 3 of Kohl/);
  });

  it('fails a PDF whose reading runs past the deadline, or whose text is over the limit', { timeout: TEST_MS }, async () => {
    const pages = Array.from({ length: 300 }, (_, i) => textPage(`Page ${i + 1} of Kohl ${repeat('Bonn ', 40)}`));
    const slow = await settle('slow.pdf', pdfOf(pages), ['Kohl', 'Bonn'], { maxReadMs: 20 });
    expect(slow.error?.message).toMatch(/took longer than 20 ms/);
    const big = await settle('big.pdf', pdfOf(pages), ['Kohl', 'Bonn'], { maxTextChars: 1_000 });
    expect(big.error?.message).toMatch(/over the limit of 1000 characters/);
  });
});

describe('poison: text', () => {
  // Fresh random bytes each run: any must settle the same way (1 MiB all but surely holds NUL bytes).
  const random = randomBytes(1024 * 1024);

  it('settles: random bytes under every extension', { timeout: TEST_MS }, async () => {
    for (const ext of ['.txt', '.md', '.html', '.json', '.jsonl', '.pdf']) {
      const { error } = await settle(`random${ext}`, random, []);
      expect(error, ext).toBeInstanceOf(UnreadableError);
    }
    await expect(readDocuments('random.txt', random)).rejects.toThrow(/binary/);
  });

  it('settles: control characters (binary) and bidirectional ones (text)', { timeout: TEST_MS }, async () => {
    const controls = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('').replace(/[\0\t\n\r]/g, '');
    const ctl = await settle('ctl.txt', enc(repeat(`Kohl${controls}`, 100_000)), ['Kohl']);
    expect(ctl.error?.message).toMatch(/binary/);
    const bidi = '\u202Eesrever\u202C \u2066Kohl\u2069 \u200F\u061C\u200E\u2067\u2068 ';
    const { docs } = await settle('bidi.txt', enc(repeat(bidi, 200_000)), ['Kohl']);
    expect(docs![0]!.text.startsWith(bidi)).toBe(true);
    const few = await settle('few.txt', enc(`Kohl\x07 met\x1b[31m OPEC\x7f. ${repeat('Plain text. ', 10)}`), []);
    expect(few.docs![0]!.text).toBe(`Kohl  met [31m OPEC . ${repeat('Plain text. ', 10)}`);
  });

  it('settles: 10 MB without whitespace', { timeout: TEST_MS }, async () => {
    const word = repeat('Société', 1_500_000);
    const { docs, error } = await settle('word.txt', enc(word), ['Soci']);
    expect(docs?.[0]?.text.length ?? error?.message).toBeDefined();
    const read = await settle('word.txt', enc(word), ['Soci'], { maxTextChars: 20_000_000 });
    expect(read.docs![0]!.text.length).toBe(word.length);
  });

  it('fails a text over maxTextChars characters', { timeout: TEST_MS }, async () => {
    const { error } = await settle('long.txt', enc(repeat('Kohl ', 3_000_000)), ['Kohl']);
    expect(error?.message).toMatch(/over the limit of \d+ characters/);
  });
});
