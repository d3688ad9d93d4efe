/**
 * npm run silver -- --model ensemble --out FILE [--corpus reuters|slate] [--stories N] [--every K] [--workers W] [--data DIR]
 *
 * Labels unlabeled stories (Reuters-21578, or Slate's magazine articles) with a model (the ensemble, with document
 * consistency) and writes them in CoNLL format ("token O TAG", -DOCSTART- between
 * stories): silver data for distilling the ensemble into the small model
 * (`nerve_train.train --silver FILE`). Tokens come from the engine's own tokenizer and
 * sentence splitter, so the student learns on text cut the way it will see it.
 */
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { labelDocuments } from '../lambdas/engine/document.js';
import { loadModel } from '../lambdas/engine/load.js';
import { sentences } from '../lambdas/engine/sentences.js';
import { tokenize } from '../lambdas/engine/tokenize.js';
import { reutersStories } from '../tools/reuters.js';
import { scriptArgs } from '../tools/script.js';
import { slateArticles } from '../tools/slate.js';

const args = scriptArgs({
  model: { type: 'string', default: 'ensemble' },
  corpus: { type: 'string', default: 'reuters' },
  out: { type: 'string', default: 'silver.conll' },
  stories: { type: 'string', default: '6000' },
  every: { type: 'string', default: '3' },
  workers: { type: 'string', default: '2' },
  threads: { type: 'string', default: '1' },
});
// One copy of the model per core (engine/parallel.ts); stories go in groups so that each
// call is large enough to split between them.
const model = await loadModel(args.model, { workers: Number(args.workers), intraOpThreads: Number(args.threads) });
const out = createWriteStream(args.out);
const limit = Number(args.stories);
const every = Number(args.every);
// A typo here would otherwise skip every story (n % NaN is never 0) and write an empty file.
for (const [name, value] of [['--stories', limit], ['--every', every]] as const) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number`);
}
const STORIES_PER_CALL = 32;
let stories = 0;
let tokens = 0;
const started = performance.now();

/** Labels a group of stories in one call, each story a document with its own consistency, then writes them. */
async function label(group: string[][][]): Promise<void> {
  const tags = await labelDocuments(model, group.flatMap((story, document) => story.map((sentence) => ({ tokens: sentence, document }))));
  let at = 0;
  for (const story of group) {
    out.write('-DOCSTART- O O\n\n');
    for (const s of story) {
      const row = tags[at++]!;
      out.write(s.map((t, j) => `${t} O ${row[j]}`).join('\n') + '\n\n');
      tokens += s.length;
    }
    if (++stories % 500 === 0) console.log(`${stories} stories, ${tokens.toLocaleString('en')} tokens, ${Math.round(tokens / ((performance.now() - started) / 1000))} tokens/s`);
  }
}

let group: string[][][] = [];
let taken = 0;
/** Each story with the number that `--every` samples on: Reuters' NEWID, a Slate article's line. */
function* corpus(): Generator<{ order: number; title: string; body: string }> {
  if (args.corpus === 'reuters') {
    for (const s of reutersStories(join(args.data, 'reuters21578'))) yield { order: s.newId, ...s };
  } else if (args.corpus === 'slate') {
    for (const a of slateArticles(join(args.data, 'slate', 'articles.jsonl'))) yield { order: a.ordinal, ...a };
  } else {
    throw new Error(`--corpus must be reuters or slate, got "${args.corpus}"`);
  }
}

for (const story of corpus()) {
  if (taken >= limit) break;
  // One story in `every` (three by default), in corpus order: a spread over the whole collection.
  if (story.order % every !== 0) continue;
  const sents = [...sentences(tokenize(`${story.title}\n\n${story.body}`))]
    .map((s) => s.map((t) => t.text))
    .filter((s) => s.length >= 3 && s.length <= 80);
  if (sents.length === 0) continue;
  taken++;
  group.push(sents);
  if (group.length === STORIES_PER_CALL) {
    await label(group);
    group = [];
  }
}
if (group.length > 0) await label(group);
out.end();
await model.release();
console.log(`wrote ${args.out}: ${stories} stories, ${tokens.toLocaleString('en')} tokens`);
