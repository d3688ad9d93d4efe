/**
 * npx tsx models/select-ensemble.ts --members DIR,DIR,... [--sizes 3,4 --name NAME --data DIR]
 *
 * Chooses the batch ensemble's members on CoNLL-2003 dev alone: every mix of `--sizes`
 * taggers among `--members`, each run through the engine as an ensemble (equal weights,
 * the shipped ensemble's combination and labels) with document consistency, scored by
 * the mean of dev F1 as written and lower-cased, as models/README.md selects. Test is
 * never read here: measure the chosen mix with `npm run eval:ensemble` once it is chosen.
 * Writes bench/results/ensemble-selection.json (or `--name`'s file).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { readEnsembleManifest } from '../lambdas/engine/ensemble.js';
import { loadModel } from '../lambdas/engine/load.js';
import { resolveModelDir } from '../lambdas/engine/manifest.js';
import { readConll } from '../tools/conll.js';
import { machine, scriptArgs, writeResult } from '../tools/script.js';
import { writeCandidateEnsemble } from './candidate-ensemble.js';
import { f1 } from './f1.js';

const args = scriptArgs({
  members: { type: 'string', default: '' },
  sizes: { type: 'string', default: '3' },
  name: { type: 'string', default: 'ensemble-selection' },
});
const members = args.members.split(',').filter(Boolean).map((m) => resolve(m));
const sizes = args.sizes.split(',').map(Number);
if (members.length < Math.min(...sizes) || sizes.some((k) => !Number.isInteger(k) || k < 1)) {
  console.error('--members needs at least as many tagger folders as the smallest of --sizes (whole numbers)');
  process.exit(2);
}
const shipped = readEnsembleManifest(resolveModelDir('ensemble'))!;
const dev = readConll(join(args.data, 'conll2003', 'dev.txt'));
const scratch = mkdtempSync(join(tmpdir(), 'nerve-select-'));

function* combinations<T>(xs: readonly T[], k: number, from = 0): Generator<T[]> {
  if (k === 0) return yield [];
  for (let i = from; i <= xs.length - k; i++) for (const rest of combinations(xs, k - 1, i + 1)) yield [xs[i]!, ...rest];
}

const rows: Array<{ members: string[]; dev: number; devLower: number; mean: number }> = [];
for (const k of sizes) {
  for (const mix of combinations(members, k)) {
    const names = mix.map((m) => basename(m));
    const dir = writeCandidateEnsemble(join(scratch, `mix-${rows.length}`), shipped, { name: names.join('+'), version: 'candidate' }, mix.map((m) => ({ dir: m, weight: 1 })));
    const model = await loadModel(dir, { workers: 2, intraOpThreads: 1 }); // a copy per core, as the batch function runs it
    const row = { members: names, dev: await f1(model, dev, false, true), devLower: await f1(model, dev, true, true), mean: 0 };
    row.mean = Number(((row.dev + row.devLower) / 2).toFixed(3));
    await model.release();
    rows.push(row);
    console.log(`${names.join(' + ').padEnd(60)} dev ${row.dev.toFixed(2)}  dev lower ${row.devLower.toFixed(2)}  mean ${row.mean.toFixed(3)}`);
  }
}
rmSync(scratch, { recursive: true, force: true });
rows.sort((a, b) => b.mean - a.mean);
console.log(`\nbest on dev: ${rows[0]!.members.join(' + ')} (${rows[0]!.mean.toFixed(3)})`);
writeResult(args.name, {
  measuredWith: `npx tsx models/select-ensemble.ts --members ${args.members} --sizes ${args.sizes}`,
  machine: machine(),
  selection: 'mean of CoNLL-2003 dev F1 as written and lower-cased, with document consistency; test not read',
  rows,
});
