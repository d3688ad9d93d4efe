import { describe, expect, it } from 'vitest';
import { parseConll } from '../../tools/conll.js';

describe('parseConll', () => {
  it('tolerates tabs, tab-only separators, a BOM, -DOCSTART- and a missing final newline', () => {
    const text = '\uFEFF-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\t\nPeter\tB-PER\nBlack\uFEFFburn\tI-PER\n\n-DOCSTART- -X- O O\n\nBonn B-LOC';
    const s = parseConll(text);
    expect(s.map((x) => x.tokens)).toEqual([['EU', 'rejects'], ['Peter', 'Blackburn'], ['Bonn']]);
    expect(s.map((x) => x.tags)).toEqual([['B-ORG', 'O'], ['B-PER', 'I-PER'], ['B-LOC']]);
    expect(s.map((x) => x.document)).toEqual([0, 0, 1]);
  });

  it('reads CRLF files', () => {
    expect(parseConll('a O\r\nb B-X\r\n\r\nc O').map((x) => x.tokens)).toEqual([['a', 'b'], ['c']]);
  });

  it("skips a row whose token is empty (BTC's lines that start with the TAB), keeping the tweet whole", () => {
    const s = parseConll('Ha\tO\n\tO\n@bob\tB-PER\n\nnext\tO\n');
    expect(s.map((x) => x.tokens)).toEqual([['Ha', '@bob'], ['next']]);
    expect(s[0]!.tags).toEqual(['O', 'B-PER']);
  });

  it('names the line of a malformed row', () => {
    expect(() => parseConll('ok O\nlonely\n', 'f.txt')).toThrow(/f\.txt:2/);
  });
});
