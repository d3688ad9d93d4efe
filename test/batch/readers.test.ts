import { describe, expect, it } from 'vitest';
import { readDocuments } from '../../lambdas/batch/readers.js';
import { UnreadableError } from '../../lambdas/shared/errors.js';
import { makePdf } from '../helpers/pdf.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('document readers', () => {
  it('reads plain text, dropping a byte-order mark', async () => {
    expect(await readDocuments('a/b.txt', bytes('\uFEFFAngela Merkel visited Paris.'))).toEqual([{ text: 'Angela Merkel visited Paris.' }]);
  });

  it('reads Windows-1252 text that is not valid UTF-8', async () => {
    const [doc] = await readDocuments('old.TXT', new Uint8Array([0x43, 0x61, 0x66, 0xe9])); // "Café" in Latin-1
    expect(doc!.text).toBe('Café');
  });

  it('reads Markdown as its words', async () => {
    const [doc] = await readDocuments('n.md', bytes('# Talks in **Bonn**\n\n- [Helmut Kohl](https://x) met `OPEC`\n'));
    expect(doc!.text).toContain('Talks in Bonn');
    expect(doc!.text).toContain('Helmut Kohl met OPEC');
    expect(doc!.text).not.toMatch(/[#*`[\]]/);
  });

  it('reads HTML as text, with its title', async () => {
    const [doc] = await readDocuments('p.html', bytes('<html><head><title>Bonn talks</title><script>var x=1</script></head><body><p>Helmut <b>Kohl</b> met <a href="/x">OPEC</a>.</p><img src="a.png"></body></html>'));
    expect(doc!.title).toBe('Bonn talks');
    expect(doc!.text).toContain('Helmut Kohl met OPEC.');
    expect(doc!.text).not.toContain('var x');
  });

  it('reads a JSON document, and a JSON array as several', async () => {
    expect(await readDocuments('d.json', bytes('{"title": "T", "text": "Kohl in Bonn"}'))).toEqual([{ text: 'Kohl in Bonn', title: 'T' }]);
    const many = await readDocuments('d.json', bytes('["one", {"text": "two"}]'));
    expect(many.map((d) => [d.line, d.text])).toEqual([[1, 'one'], [2, 'two']]);
  });

  it('reads JSON lines one document per line, failing only the bad line', async () => {
    const docs = await readDocuments('d.jsonl', bytes('{"text": "first"}\n\n"second"\n{broken\n{"no_text": 1}\n'));
    expect(docs.map((d) => [d.line, d.text, d.failure ?? null])).toEqual([
      [1, 'first', null],
      [3, 'second', null],
      [4, '', expect.stringMatching(/line 4 is not valid JSON/)],
      [5, '', expect.stringMatching(/string "text" field/)],
    ]);
  });

  it('reads the text of a PDF', async () => {
    const [doc] = await readDocuments('r.pdf', makePdf('Helmut Kohl met OPEC ministers in Vienna.'));
    expect(doc!.text).toContain('Helmut Kohl met OPEC ministers in Vienna.');
  });

  it('refuses what can never be read, with the reason', async () => {
    await expect(readDocuments('x.pdf', bytes('%PDF-1.4 garbage'))).rejects.toThrow(UnreadableError);
    await expect(readDocuments('x.pdf', bytes('%PDF-1.4 garbage'))).rejects.toThrow(/PDF cannot be read/);
    await expect(readDocuments('x.exe', bytes('MZ'))).rejects.toThrow(/unsupported file type ".exe"/);
    await expect(readDocuments('noext', bytes('hi'))).rejects.toThrow(/unsupported file type "\(none\)"/);
    await expect(readDocuments('x.txt', new Uint8Array([0x50, 0, 1, 2]))).rejects.toThrow(/binary data/);
    await expect(readDocuments('x.json', bytes('{oops'))).rejects.toThrow(/not valid JSON/);
    await expect(readDocuments('x.json', bytes('{"a": 1}'))).rejects.toThrow(/string "text" field/);
  });
});
