/**
 * Reuters-21578 (SGML, Latin-1) as stories: NEWID, title and body. Entity references are
 * decoded; the control characters the collection uses (&#3; ends each body, &#5;, &#22;,
 * &#127; in datelines) become spaces. Only stories with a <BODY> are returned: 19,043.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Story {
  readonly newId: number;
  readonly title: string;
  readonly body: string;
}

const STORY = /<REUTERS[^>]*NEWID="(\d+)"[^>]*>([\s\S]*?)<\/REUTERS>/g;
const TITLE = /<TITLE>([\s\S]*?)<\/TITLE>/;
const BODY = /<BODY>([\s\S]*?)<\/BODY>/;
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function clean(s: string): string {
  return s
    .replace(/&#(\d+);/g, (_, n: string) => {
      const code = Number(n);
      return code < 32 || code === 127 ? ' ' : String.fromCharCode(code);
    })
    .replace(/&(lt|gt|amp|quot|apos);/g, (_, name: string) => NAMED[name]!)
    .replace(/\x7f/g, ' ')
    .trim();
}

export function* reutersStories(folder: string): Generator<Story> {
  const files = readdirSync(folder).filter((f) => /^reut2-\d{3}\.sgm$/.test(f)).sort();
  for (const file of files) {
    const text = readFileSync(join(folder, file), 'latin1');
    for (const m of text.matchAll(STORY)) {
      const body = BODY.exec(m[2]!);
      if (!body) continue;
      const title = TITLE.exec(m[2]!);
      yield { newId: Number(m[1]), title: title ? clean(title[1]!) : '', body: clean(body[1]!) };
    }
  }
}
