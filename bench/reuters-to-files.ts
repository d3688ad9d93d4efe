/**
 * npm run bench:reuters [-- --data DIR --out bench/data/reuters]
 *
 * Writes one text file per Reuters-21578 story with a body (19,043), named by its NEWID:
 * the title, a blank line, the body. The corpus for bench:batch and bench:search.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchDataDir } from '../tools/paths.js';
import { reutersStories } from '../tools/reuters.js';
import { scriptArgs } from '../tools/script.js';

export function writeReutersFiles(dataDir: string, out: string): number {
  mkdirSync(out, { recursive: true });
  let n = 0;
  for (const story of reutersStories(join(dataDir, 'reuters21578'))) {
    writeFileSync(join(out, `${story.newId}.txt`), `${story.title}\n\n${story.body}\n`);
    n++;
  }
  return n;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = scriptArgs({ out: { type: 'string', default: join(benchDataDir, 'reuters') } });
  console.log(`wrote ${writeReutersFiles(args.data, args.out)} stories to ${args.out}`);
}
