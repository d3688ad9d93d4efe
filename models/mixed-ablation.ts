/**
 * npx tsx models/mixed-ablation.ts [--model ensemble --with test/fixtures/hf/bert-wordpiece --weights 0.25,0.5,1 --gates 0.9,0.99 --data DIR]
 *
 * Does a transformer earn a place in the batch ensemble? Through the engine, with
 * conlleval's rules, on CoNLL-2003 dev and test as written and lower-cased, with and
 * without document consistency: the transformer alone, the ensemble, and the ensemble
 * with the transformer as one more member at each weight (mixed ensembles: ensemble.ts).
 * The choice is made on dev (the mean of dev as written and lower-cased, with document
 * consistency, as models/README.md selects); test is only reported. With `--gates`, each
 * weight is also tried behind each gate (ensemble.ts: the transformer reads only the
 * sentences the others doubt), and each row says the share of tokens it read. Writes
 * bench/results/ablation-mixed.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { Ensemble, readEnsembleManifest } from '../lambdas/engine/ensemble.js';
import { loadModel } from '../lambdas/engine/load.js';
import { resolveModelDir } from '../lambdas/engine/manifest.js';
import type { NerModel } from '../lambdas/engine/model.js';
import { readConll } from '../tools/conll.js';
import { scriptArgs, writeResult } from '../tools/script.js';
import { writeCandidateEnsemble } from './candidate-ensemble.js';
import { f1 } from './f1.js';

const args = scriptArgs({
  model: { type: 'string', default: 'ensemble' },
  with: { type: 'string', default: 'test/fixtures/hf/bert-wordpiece' },
  weights: { type: 'string', default: '0.25,0.5,1' },
  gates: { type: 'string', default: '' },
});
const shippedDir = resolveModelDir(args.model);
const shipped = readEnsembleManifest(shippedDir)!;
const transformerDir = resolve(args.with);
const splits = Object.fromEntries(['dev', 'test'].map((s) => [s, readConll(join(args.data, 'conll2003', `${s}.txt`))]));
const scratch = mkdtempSync(join(tmpdir(), 'nerve-mixed-'));

/** The shipped ensemble's members and the transformer at `weight` (behind a gate if given), as an ensemble folder. */
function mixedFolder(weight: number, gate?: number): string {
  const others = shipped.members.filter((m) => !m.gated).map(({ path, ...m }) => ({ ...m, dir: join(shippedDir, path) }));
  const members = [...others, { dir: transformerDir, weight, ...(gate ? { gated: true } : {}) }];
  const base = { ...shipped, gate: gate ? { confidentAbove: gate } : undefined };
  const tag = `w${weight}${gate ? `-gate${gate}` : ''}`;
  return writeCandidateEnsemble(join(scratch, tag), base, { name: `${shipped.name}+transformer`, version: `${shipped.version}+${tag}` }, members);
}

interface Row {
  system: string;
  weight?: number;
  gate?: number;
  /** Of the tokens of the four evaluations, the share the gated transformer read. */
  gatedShare?: number;
  documents: boolean;
  dev: number;
  devLower: number;
  test: number;
  testLower: number;
}
const rows: Row[] = [];
async function measure(system: string, model: NerModel, documents: boolean, weight?: number, gate?: number): Promise<void> {
  const counts = model instanceof Ensemble ? { ...model.gateCounts } : undefined;
  const row: Row = {
    system,
    ...(weight !== undefined ? { weight } : {}),
    ...(gate !== undefined ? { gate } : {}),
    documents,
    dev: await f1(model, splits.dev!, false, documents),
    devLower: await f1(model, splits.dev!, true, documents),
    test: await f1(model, splits.test!, false, documents),
    testLower: await f1(model, splits.test!, true, documents),
  };
  if (gate !== undefined && model instanceof Ensemble && counts) {
    row.gatedShare = Number(((model.gateCounts.gatedTokens - counts.gatedTokens) / (model.gateCounts.tokens - counts.tokens)).toFixed(4));
  }
  const share = row.gatedShare !== undefined ? `  read ${(100 * row.gatedShare).toFixed(1)}%` : '';
  console.log(`${system.padEnd(44)} ${documents ? 'docs' : '    '} dev ${row.dev.toFixed(2)}  dev lower ${row.devLower.toFixed(2)}  test ${row.test.toFixed(2)}  test lower ${row.testLower.toFixed(2)}${share}`);
  rows.push(row);
}

const transformer = await loadModel(transformerDir, { intraOpThreads: 2 });
await measure(`${transformer.model.name} alone`, transformer, false);
await transformer.release();
const gates = args.gates ? args.gates.split(',').map(Number) : [];
const candidates: Array<[string, string, number | undefined, number | undefined]> = [[args.model, shippedDir, undefined, undefined]];
for (const w of args.weights.split(',').map(Number)) {
  for (const gate of [undefined, ...gates]) {
    const system = `${args.model} + ${transformer.model.name} (weight ${w}${gate ? `, gate ${gate}` : ''})`;
    candidates.push([system, mixedFolder(w, gate), w, gate]);
  }
}
for (const [system, dir, weight, gate] of candidates) {
  const model = await Ensemble.load(dir, { intraOpThreads: 2 });
  for (const documents of [false, true]) await measure(system, model, documents, weight, gate);
  await model.release();
}
rmSync(scratch, { recursive: true, force: true });

const devMean = (r: Row) => (r.dev + r.devLower) / 2;
const chosen = rows.filter((r) => r.documents && r.system !== `${transformer.model.name} alone`).reduce((a, b) => (devMean(b) > devMean(a) ? b : a));
console.log(`\nchosen on dev (mean of dev and dev lower-cased, with document consistency): ${chosen.system} (${devMean(chosen).toFixed(3)})`);
writeResult('ablation-mixed', {
  measuredWith: 'npx tsx models/mixed-ablation.ts',
  ensemble: { name: shipped.name, version: shipped.version },
  transformer: { dir: relative(process.cwd(), transformerDir), ...transformer.model },
  selection: 'mean of dev F1 as written and lower-cased, with document consistency; the shipped ensemble stays unless a mix beats it',
  chosen: chosen.system,
  rows,
});
