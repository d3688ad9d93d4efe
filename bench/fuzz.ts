/**
 * npm run bench:fuzz [-- --seconds 180 --seed 1 --model small]
 *
 * Property-based fuzzing of the HTTP API from docs/openapi.json with Schemathesis (PyPI,
 * pinned below, in a virtual environment under bench/data/): the local stack starts on
 * 127.0.0.1 with a few documents indexed (so that search and the documents route reach
 * their real code, not only their refusals), Schemathesis sends valid and invalid requests
 * for `--seconds` (examples, coverage, fuzzing, and the stateful phase following the
 * document's links), and every response must be no 5xx, with a documented status, content
 * type and body. Writes bench/results/fuzz.json; exits 1 when it found anything.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { documentIdOf } from '../lambdas/index/schema.js';
import { startLocalStack } from '../tools/local-stack.js';
import { benchDataDir, repoRoot } from '../tools/paths.js';
import { machine, writeResult } from '../tools/script.js';

/** Pinned: a new Schemathesis generates other cases, so a result names the version that found it. */
const SCHEMATHESIS = '4.32.5';
const CHECKS = ['not_a_server_error', 'response_schema_conformance', 'status_code_conformance', 'content_type_conformance'];
const BUCKET = 'nerve-documents';

const { values: args } = parseArgs({
  options: { seconds: { type: 'string', default: '180' }, seed: { type: 'string', default: '1' }, model: { type: 'string', default: 'small' } },
});

/** The virtual environment with the pinned Schemathesis, made once and kept under bench/data/ (git-ignored). */
function schemathesis(): string {
  const venv = join(benchDataDir, 'fuzz-venv');
  const bin = join(venv, 'bin', 'schemathesis');
  const version = existsSync(bin) ? spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout : '';
  if (!version.includes(SCHEMATHESIS)) {
    const run = (command: string, argv: string[]) => {
      const r = spawnSync(command, argv, { stdio: 'inherit' });
      if (r.status !== 0) throw new Error(`${command} ${argv.join(' ')} failed (${r.status ?? r.signal})`);
    };
    if (!existsSync(venv)) run('python3', ['-m', 'venv', venv]);
    run(join(venv, 'bin', 'pip'), ['install', '--quiet', `schemathesis==${SCHEMATHESIS}`]);
  }
  return bin;
}

/** Documents for the batch path to index before fuzzing: a text, a Markdown file, a JSON-lines file, one it cannot read. */
const SEED_FILES: Record<string, string> = {
  'visit.txt': 'Anna Kowalczyk of Siemens met Peter Blackburn in Brussels. Kowalczyk spoke for the European Commission.',
  'notes.md': '# OPEC in Vienna\n\nOPEC ministers met in Vienna; Saudi Arabia and Iraq raised output.',
  'wire.jsonl': '{"title": "Reuters", "text": "Helmut Kohl visited Paris and Washington."}\n{"text": "Daimler-Benz shares rose in Frankfurt."}\n',
  'blob.bin': '\u0000\u0001\u0002',
};
const QUERIES = ['Anna Kowalczyk', 'Kowalczyk in Brussels', 'OPEC output', 'Helmut Kohl Paris', 'Daimler-Benz Frankfurt', 'Vienna'];

const scratch = mkdtempSync(join(tmpdir(), 'nerve-fuzz-'));
const inbox = join(scratch, 'inbox');
mkdirSync(inbox);
for (const [name, text] of Object.entries(SEED_FILES)) writeFileSync(join(inbox, name), text);
const documentIds = [...Object.keys(SEED_FILES).map((name) => documentIdOf(BUCKET, `incoming/${name}`)), documentIdOf(BUCKET, 'incoming/wire.jsonl', 1), documentIdOf(BUCKET, 'incoming/wire.jsonl', 2)];

const bin = schemathesis();
const stack = await startLocalStack({ NERVE_MODEL: args.model!, NERVE_BATCH_MODEL: args.model!, NERVE_LOCAL_DIR: join(scratch, '.nerve'), NERVE_INBOX: inbox });
let result: ReturnType<typeof summary>;
try {
  const deadline = Date.now() + 120_000;
  for (const id of documentIds) {
    while (!/^(indexed|failed)$/.test(((await (await fetch(`${stack.url}/v1/documents/${id}`)).json()) as { status?: string }).status ?? '')) {
      if (Date.now() > deadline) throw new Error(`document ${id} was not indexed within 120 s`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  // Known values the generator draws from part of the time; it invents the rest.
  const config = join(scratch, 'schemathesis.toml');
  const list = (values: string[]) => `[${values.map((v) => JSON.stringify(v)).join(', ')}]`;
  writeFileSync(
    config,
    [
      `[dictionaries.documentIds]\nvalues = ${list(documentIds)}`,
      `[dictionaries.queries]\nvalues = ${list(QUERIES)}`,
      `[dictionaries.types]\nvalues = ${list(['PER', 'ORG', 'LOC', 'MISC'])}`,
      '[parameters]',
      '"path.documentId" = { dictionary = "documentIds", probability = 0.6 }',
      '"body.query" = { dictionary = "queries", probability = 0.5 }',
      '"body.types[*]" = { dictionary = "types", probability = 0.7 }',
      '',
    ].join('\n'),
  );
  const reportDir = join(scratch, 'report');
  const argv = ['--config-file', config, 'run', join(repoRoot, 'docs', 'openapi.json'), '--url', stack.url, '--checks', CHECKS.join(','),
    '--phases', 'examples,coverage,fuzzing,stateful', '--max-time', args.seconds!, '--seed', args.seed!, '--workers', '1', '--report', 'json', '--report-dir', reportDir];
  console.log(`schemathesis ${argv.slice(2).join(' ')}`);
  const run = spawnSync(bin, argv, { stdio: 'inherit', cwd: scratch });
  const reportFile = existsSync(reportDir) ? readdirSync(reportDir).find((f) => f.endsWith('.json')) : undefined;
  if (!reportFile) throw new Error(`schemathesis exited with ${run.status ?? run.signal} and wrote no report`);
  const report = JSON.parse(readFileSync(join(reportDir, reportFile), 'utf8'));
  result = summary(report, run.status);
} finally {
  await stack.stop();
  rmSync(scratch, { recursive: true, force: true });
}

/** What the run found, without the stack's scratch paths. */
function summary(report: Record<string, any>, exitCode: number | null) {
  const nonEmpty = (o: Record<string, unknown[]>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v.length > 0));
  return {
    schemathesis: report.schemathesis_version,
    checks: CHECKS,
    seed: report.seed,
    maxSeconds: Number(args.seconds),
    runningSeconds: Number(report.running_time.toFixed(1)),
    stopReason: report.stop_reason,
    model: args.model,
    seededDocuments: documentIds.length,
    operations: report.operations,
    phases: report.phases,
    testCases: report.test_cases,
    failures: report.failures,
    errors: report.errors,
    warnings: nonEmpty(report.warnings),
    acceptedAndRejected: report.valid_rates,
    exitCode,
    machine: machine(),
  };
}

writeResult('fuzz', result);
const found = result.testCases.unique_failures + result.errors.length;
console.log(`${result.testCases.generated} test cases in ${result.runningSeconds} s: ${found === 0 ? 'no failure' : `${result.testCases.unique_failures} unique failures, ${result.errors.length} errors`}`);
process.exitCode = found === 0 && result.exitCode === 0 ? 0 : 1;
