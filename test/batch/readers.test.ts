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

  it('replaces an invalid UTF-8 byte instead of re-decoding the whole file as Windows-1252', async () => {
    const file = new Uint8Array([...bytes('Société Générale '), 0xff, ...bytes(' à Paris')]);
    const [doc] = await readDocuments('sg.txt', file);
    expect(doc!.text).toBe('Société Générale \uFFFD à Paris');
  });

  it('falls back to Windows-1252 only where most high bytes are not UTF-8', async () => {
    const latin1 = new Uint8Array([...bytes('Soci'), 0xe9, ...bytes('t'), 0xe9, ...bytes(' G'), 0xe9, ...bytes('n'), 0xe9, ...bytes('rale '), 0x93, ...bytes('ok'), 0x94]);
    expect((await readDocuments('w.txt', latin1))[0]!.text).toBe('Société Générale \u201Cok\u201D');
  });

  it('honours UTF-16 byte-order marks, and reads BOM-less UTF-16LE text', async () => {
    const le = Buffer.from('\uFEFFSociété Générale', 'utf16le');
    const be = Buffer.from(le).swap16();
    expect(await readDocuments('le.txt', le)).toEqual([{ text: 'Société Générale' }]);
    expect(await readDocuments('be.txt', be)).toEqual([{ text: 'Société Générale' }]);
    expect(await readDocuments('nobom.txt', Buffer.from('Angela Merkel visited Paris.', 'utf16le'))).toEqual([{ text: 'Angela Merkel visited Paris.' }]);
    expect(await readDocuments('bom8.md', bytes('\uFEFF# Kohl'))).toEqual([{ text: 'Kohl' }]);
  });

  it('detects binary data anywhere in the file, not only in its first 8 KB', async () => {
    const late = new Uint8Array([...bytes('a'.repeat(20_000)), 0, ...bytes('b')]);
    await expect(readDocuments('late.txt', late)).rejects.toThrow(/binary/);
    const controls = bytes('x'.repeat(10_000) + '\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f'.repeat(200));
    await expect(readDocuments('ctl.txt', controls)).rejects.toThrow(/binary/);
  });

  it('keeps the case of HTML headings and table headers', async () => {
    const [doc] = await readDocuments('h.html', bytes('<h1>OPEC meets in Vienna</h1><h3>Talks</h3><table><tr><th>Minister</th><th>Country</th></tr><tr><td>Ali Naimi</td><td>Saudi Arabia</td></tr></table>'));
    expect(doc!.text).toContain('OPEC meets in Vienna');
    expect(doc!.text).toContain('Talks');
    expect(doc!.text).toMatch(/Minister\s+Country/);
    expect(doc!.text).toMatch(/Ali Naimi\s+Saudi Arabia/);
    expect(doc!.text).not.toMatch(/MEETS|TALKS|MINISTER/);
  });

  it('says where JSON is broken without quoting the document', async () => {
    const err = await readDocuments('x.json', bytes('{"text": "Société Générale"\n oops}')).catch((e: Error) => e);
    expect(err).toBeInstanceOf(UnreadableError);
    expect((err as Error).message).toMatch(/line 2, column 2/);
    expect((err as Error).message).not.toMatch(/Soci|G\u00e9n|oops|"o/);
    const bare = await readDocuments('x.json', bytes('Société Générale')).catch((e: Error) => e);
    expect((bare as Error).message).toMatch(/not valid JSON.*line 1, column 1/);
    expect((bare as Error).message).not.toMatch(/Soci/);
    const [line] = await readDocuments('x.jsonl', bytes('{"text": "Société Générale" oops}\n'));
    expect(line!.failure).toMatch(/line 1 is not valid JSON.*column 29/);
    expect(line!.failure).not.toMatch(/Soci|oops/);
  });

  it('reads Markdown links, images, code and emphasis as their words', async () => {
    const md = '# *OPEC* in __Vienna__\n\n> Ali **Naimi** met [the *press*](http://x "t") ![Vienna skyline](v.png)\n\n```\nconst x = 1;\n```\n\n1. `Saudi` Arabia\n2. Iran <b>too</b>\n';
    const [doc] = await readDocuments('m.md', bytes(md));
    expect(doc!.text).toContain('OPEC in Vienna');
    expect(doc!.text).toContain('Ali Naimi met the press Vienna skyline');
    expect(doc!.text).toContain('Saudi Arabia');
    expect(doc!.text).toMatch(/Iran\s+too/);
    expect(doc!.text).not.toMatch(/const x|http|png|[#*_`>[\]<]/);
  });

  it('caps the documents of a file and the size of one line, saying so', async () => {
    const lines = Array.from({ length: 5 }, (_, i) => JSON.stringify({ text: `doc ${i + 1}` })).join('\n');
    const docs = await readDocuments('many.jsonl', bytes(lines), { maxDocuments: 3 });
    expect(docs.map((d) => [d.line, d.text, d.failure ?? null])).toEqual([
      [1, 'doc 1', null],
      [2, 'doc 2', null],
      [3, 'doc 3', null],
      [4, '', expect.stringMatching(/at most 3 documents.*line 4 on/)],
    ]);
    const array = await readDocuments('many.json', bytes(JSON.stringify(['a', 'b', 'c', 'd'])), { maxDocuments: 2 });
    expect(array.map((d) => d.failure ?? d.text)).toEqual(['a', 'b', expect.stringMatching(/at most 2 documents/)]);
    const long = await readDocuments('long.jsonl', bytes(`"short"\n"${'x'.repeat(200)}"\n"after"`), { maxLineBytes: 100 });
    expect(long.map((d) => d.failure ?? d.text)).toEqual(['short', expect.stringMatching(/line 2 is 202 bytes, over the limit of 100/), 'after']);
  });

  it('fails a document whose text is over the size limit', async () => {
    await expect(readDocuments('big.txt', bytes('word '.repeat(100)), { maxTextChars: 100 })).rejects.toThrow(/over the limit of 100 characters/);
    const [doc] = await readDocuments('big.jsonl', bytes(JSON.stringify({ text: 'word '.repeat(100) })), { maxTextChars: 100 });
    expect(doc!.failure).toMatch(/over the limit of 100 characters/);
  });
});
