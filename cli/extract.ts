/**
 * `nerve extract`: the entities of TEXT, or of standard input, with the model run here.
 * With `--jsonl`, standard input is JSON lines and each line's result is written as soon
 * as it is known, in order, so that a file of any length streams through.
 */
import { createInterface } from 'node:readline';
import { checkOffsets, type OffsetUnit } from '../lambdas/engine/extract.js';
import type { NerModel } from '../lambdas/engine/model.js';
import { UsageError } from '../lambdas/shared/errors.js';
import { choiceOption, usageError, type Command } from './command.js';
import { FORMATS, formatExtraction, type Format } from './formats.js';
import { loadModelOf, MODEL_OPTIONS, MODEL_USAGE } from './model.js';

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** A JSON line's text: the line is a JSON string, or an object with a string `text`. Messages name the line, never its content. */
function textOfLine(line: string, n: number): string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new UsageError(`line ${n} is not valid JSON`);
  }
  if (typeof value === 'string') return value;
  const text = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as { text?: unknown }).text : undefined;
  if (typeof text === 'string') return text;
  throw new UsageError(`line ${n} must be a JSON string or an object with a string "text"`);
}

/** Writes one result line per input line; a line that cannot be read gets an error line (stderr says which). */
async function extractLines(model: NerModel, format: Format, offsets: OffsetUnit): Promise<number> {
  let n = 0;
  let refused = 0;
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    n++;
    if (line.trim() === '') continue; // blank lines (a trailing newline) are no input
    let text: string;
    try {
      text = textOfLine(line, n);
    } catch (e) {
      const message = (e as Error).message;
      refused++;
      console.error(`nerve: ${message}`);
      process.stdout.write(`${JSON.stringify({ error: { code: 'invalid_input', message } })}\n`);
      continue;
    }
    const entities = await model.extract(text, { offsets });
    process.stdout.write(`${JSON.stringify(formatExtraction(format, { text, entities, model: model.model, offsets }))}\n`);
  }
  return refused > 0 ? 2 : 0;
}

export const extractCommand: Command = {
  name: 'extract',
  usage: `usage: nerve extract [TEXT...] [--jsonl] [--format ${FORMATS.join('|')}] [--offsets codepoint|utf16] [--model NAME|DIR]
the entities of TEXT (its words joined by spaces), or of standard input when no TEXT is given

  --jsonl           standard input is JSON lines, each a JSON string or an object with a
                    string "text"; writes one JSON line per input line, in order (blank
                    lines are skipped; a line that cannot be read gets {"error": ...} and exit 2)
  --format F        nerve (default: the API's {entities, model, offsets}),
                    comprehend (Amazon Comprehend's {Entities: [{BeginOffset, EndOffset, Score, Type, Text}]}),
                    hf (the Hugging Face pipeline's [{entity_group, score, word, start, end}]),
                    displacy (displaCy's manual format {text, ents: [{start, end, label}], title})
  --offsets U       codepoint (default, as Python and Comprehend count) or utf16 (JavaScript
                    string indices); --format nerve only: the other formats count code points
${MODEL_USAGE}`,
  options: { ...MODEL_OPTIONS, offsets: { type: 'string' }, format: { type: 'string', default: 'nerve' }, jsonl: { type: 'boolean', default: false } },
  async run(values, positionals) {
    const format = choiceOption('format', values.format, FORMATS)!;
    if (values.offsets !== undefined && format !== 'nerve') throw usageError(this, `--offsets applies to --format nerve only: ${format} counts code points`);
    const offsets = values.offsets ?? 'codepoint';
    checkOffsets(offsets, (message) => usageError(this, `--offsets ${message}`));
    if (values.jsonl && positionals.length > 0) throw usageError(this, '--jsonl reads standard input: give no TEXT');
    if (positionals.length === 0 && process.stdin.isTTY) throw usageError(this, 'extract needs TEXT, or text on standard input');

    const model = await loadModelOf(values);
    try {
      if (values.jsonl) return await extractLines(model, format, offsets);
      const text = positionals.length > 0 ? positionals.join(' ') : await readAll(process.stdin);
      const entities = await model.extract(text, { offsets });
      console.log(JSON.stringify(formatExtraction(format, { text, entities, model: model.model, offsets }), null, 1));
      return 0;
    } finally {
      await model.release();
    }
  },
};
