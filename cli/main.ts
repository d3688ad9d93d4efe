/**
 * `nerve`: the command line. Commands that need the engine load the model once.
 *
 *   nerve tag --model NAME|DIR --conll FILE [--out FILE] [--lowercase]
 *   nerve eval --model NAME|DIR --conll FILE [--lowercase] [--documents] [--json]
 *   nerve extract [--model NAME|DIR] [--offsets codepoint|utf16] TEXT
 *   nerve ingest PATH...
 *   nerve search QUERY [--limit N] [--types T,...] [--url URL] [--token JWT] [--json]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { NerveError, UsageError } from '../lambdas/shared/errors.js';
import { labelDocuments } from '../lambdas/engine/document.js';
import type { OffsetUnit } from '../lambdas/engine/extract.js';
import { loadModel } from '../lambdas/engine/load.js';
import { lowerCased, readConll } from '../tools/conll.js';
import { evaluate, formatReport } from '../tools/conlleval.js';
import { ingest } from './ingest.js';
import { searchCommand } from './search.js';

const USAGE = `usage:
  nerve tag --model NAME|DIR --conll FILE [--out FILE] [--lowercase] [--documents]
      writes "token gold predicted" lines (conlleval's input format)
  nerve eval --model NAME|DIR --conll FILE [--lowercase] [--documents] [--json]
      entity-level precision, recall and F1 by conlleval's rules
  nerve extract [--model NAME|DIR] [--offsets codepoint|utf16] TEXT
      entities of TEXT as JSON
  nerve ingest PATH... [--bucket B --table T] [--prefix P] [--timeout SECONDS]
      uploads files or folders into the running local stack (or a deployed bucket),
      waits until every document is indexed, prints a summary
  nerve search QUERY [--limit N] [--types LOC,PER,...] [--url URL] [--token JWT] [--json]
      ranked documents for QUERY from the running local stack (or the API at URL)

--model defaults to "small"; --lowercase lower-cases the tokens first (query-style text);
--documents applies document-level label consistency within each -DOCSTART- document;
--threads N sets ONNX Runtime's intra-op threads (default 1); --workers N runs the model
in N threads, each with its own copy and one intra-op thread (the fastest way to evaluate
the ensemble on several cores).`;

/** A usage error, followed by the usage. */
const usage = (message: string) => new UsageError(`${message}\n\n${USAGE}`);

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === 'help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      model: { type: 'string', default: 'small' },
      conll: { type: 'string' },
      out: { type: 'string' },
      offsets: { type: 'string', default: 'codepoint' },
      lowercase: { type: 'boolean', default: false },
      documents: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      threads: { type: 'string', default: '1' },
      workers: { type: 'string', default: '1' },
      bucket: { type: 'string' },
      table: { type: 'string' },
      prefix: { type: 'string' },
      timeout: { type: 'string', default: '1800' },
      limit: { type: 'string' },
      types: { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
    },
  });
  const intraOpThreads = Number(values.threads);
  if (!Number.isInteger(intraOpThreads) || intraOpThreads < 1) throw usage(`--threads must be a positive integer`);
  const workers = Number(values.workers);
  if (!Number.isInteger(workers) || workers < 1) throw usage(`--workers must be a positive integer`);
  const load = () => loadModel(values.model!, { intraOpThreads, workers });

  switch (command) {
    case 'tag':
    case 'eval': {
      if (!values.conll) throw usage(`${command} needs --conll FILE`);
      const read = readConll(values.conll);
      const sentences = values.lowercase ? lowerCased(read) : read;
      const model = await load();
      const predicted = values.documents ? await labelDocuments(model, sentences) : await model.labelSentences(sentences.map((s) => s.tokens));
      if (command === 'tag') {
        const lines = sentences.map((s, i) => s.tokens.map((t, j) => `${t} ${s.tags[j]} ${predicted[i]![j]}`).join('\n') + '\n');
        const text = lines.join('\n');
        if (values.out) writeFileSync(values.out, text);
        else process.stdout.write(text);
      } else {
        const report = evaluate(sentences.map((s) => s.tags), predicted);
        const header = `model ${model.model.name} ${model.model.version} on ${values.conll}${values.lowercase ? ' (lower-cased)' : ''}${values.documents ? ' (document consistency)' : ''}`;
        console.log(values.json ? JSON.stringify({ model: model.model, file: values.conll, lowercase: values.lowercase, documents: values.documents, ...report }, null, 1) : `${header}\n${formatReport(report)}`);
      }
      await model.release();
      return 0;
    }
    case 'extract': {
      if (positionals.length === 0) throw usage('extract needs TEXT');
      const model = await load();
      const entities = await model.extract(positionals.join(' '), { offsets: values.offsets as OffsetUnit });
      console.log(JSON.stringify({ entities, model: model.model, offsets: values.offsets }, null, 1));
      await model.release();
      return 0;
    }
    case 'ingest': {
      const result = await ingest({ paths: positionals, bucket: values.bucket, table: values.table, prefix: values.prefix, timeoutSeconds: Number(values.timeout) });
      return result.failed.length > 0 ? 3 : 0;
    }
    case 'search': {
      if (positionals.length === 0) throw usage('search needs QUERY');
      const limit = values.limit === undefined ? undefined : Number(values.limit);
      if (limit !== undefined && !Number.isInteger(limit)) throw usage('--limit must be an integer');
      return searchCommand({ query: positionals.join(' '), limit, types: values.types?.split(',').map((t) => t.trim()), url: values.url, token: values.token, json: values.json });
    }
    default:
      throw usage(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    if (e instanceof NerveError) console.error(`nerve: ${e.message}`);
    else if (e instanceof Error && 'code' in e && String((e as { code: unknown }).code).startsWith('ERR_PARSE_ARGS')) console.error(`nerve: ${e.message}\n\n${USAGE}`);
    else console.error(e);
    process.exitCode = e instanceof NerveError && e.code === 'usage' ? 2 : 1;
  },
);
