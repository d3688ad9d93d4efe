/**
 * `nerve models import`'s logic: an Optimum export folder becomes a Nerve model folder
 * that `--model`, `nerve:model` and `nerve:batchModel` take. The export is loaded first,
 * through the engine (so every check of load time runs, the ONNX session included), and
 * only then copied, with a manifest that names the files, their checksum, the labels,
 * the settings chosen and the source, and a model card written from that manifest.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { ConfigError } from '../../shared/errors.js';
import { resolveModelDir } from '../manifest.js';
import type { Aggregation } from './aggregate.js';
import { readTransformerFolder, sha256Of, TRANSFORMER_FAMILY, TRANSFORMER_FORMAT, type TransformerManifest } from './folder.js';
import { TransformerModel } from './model.js';

/** The Hugging Face files a Nerve transformer folder keeps beside model.onnx, when the export has them. */
const KEPT = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'] as const;

export interface ImportOptions {
  /** The folder to write; it must not exist or be empty. */
  readonly out: string;
  /** @default the export folder's name */
  readonly name?: string;
  /** @default the name's own version: `sha256-` and the ONNX file's first 12 hex digits */
  readonly version?: string;
  /** How the model aggregates sub-tokens (aggregate.ts). @default 'first' */
  readonly aggregation?: Aggregation;
  /** Tokens each window repeats from the one before. @default a quarter of the window */
  readonly stride?: number;
  /** The export's ONNX file to import (`model_quantized.onnx` for its int8 copy). @default model.onnx, else onnx/model.onnx */
  readonly onnxFile?: string;
}

/**
 * Check the export in `exportDir` and write it to `options.out` as a Nerve model folder.
 * Throws the engine's typed errors (ModelInvalidError, ModelUnsupportedError, ConfigError)
 * naming the file and the problem; writes nothing unless the export loads.
 */
export async function importTransformer(exportDir: string, options: ImportOptions): Promise<TransformerManifest> {
  const source = resolveModelDir(resolve(exportDir)); // always a path: an export is not one of the named models
  const out = resolve(options.out);
  if (existsSync(out) && readdirSync(out).length > 0) throw new ConfigError(`${out} already exists and is not empty; choose another --out`);
  const model = await TransformerModel.load(source, { aggregation: options.aggregation, stride: options.stride, onnxFile: options.onnxFile });
  const { folder, aggregation, inputNames } = model;
  const stride = model.stride;
  await model.release();
  const sha256 = sha256Of(folder.onnxPath);
  const config = JSON.parse(readFileSync(join(source, 'config.json'), 'utf8'));
  mkdirSync(out, { recursive: true });
  copyFileSync(folder.onnxPath, join(out, 'model.onnx'));
  const kept = KEPT.filter((f) => existsSync(join(source, f)));
  for (const f of kept) copyFileSync(join(source, f), join(out, f));
  const manifest: TransformerManifest = {
    family: TRANSFORMER_FAMILY,
    format: TRANSFORMER_FORMAT,
    name: options.name ?? basename(source),
    version: options.version ?? `sha256-${sha256.slice(0, 12)}`,
    file: 'model.onnx',
    sha256,
    tokenizer: 'tokenizer.json',
    config: 'config.json',
    ...(kept.includes('tokenizer_config.json') ? { tokenizerConfig: 'tokenizer_config.json' } : {}),
    labels: folder.labels.iob2,
    labelScheme: folder.labels.scheme,
    maxLength: folder.maxLength,
    stride,
    aggregation,
    inputs: { names: [...inputNames] },
    source: {
      path: source,
      architecture: Array.isArray(config.architectures) ? config.architectures.join(', ') : config.model_type,
      transformersVersion: config.transformers_version ?? null,
      onnx: relative(source, folder.onnxPath),
      sha256: Object.fromEntries([[basename(folder.onnxPath), sha256], ...kept.map((f) => [f, sha256Of(join(source, f))])]),
      importedAt: new Date().toISOString(),
    },
  };
  writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(out, 'README.md'), modelCard(manifest));
  readTransformerFolder(out); // what was written reads back
  return manifest;
}

/** The model card of an imported transformer, from its manifest. */
export function modelCard(m: TransformerManifest): string {
  const types = m.labels.filter((l) => l.startsWith('B-')).map((l) => l.slice(2));
  const source = m.source as { path: string; architecture: string; transformersVersion: string | null } | undefined;
  return [
    `# ${m.name}`,
    '',
    `A Hugging Face token-classification model (${source?.architecture ?? 'transformer'}) exported to ONNX, imported into Nerve's transformer family.`,
    '',
    '| | |',
    '|---|---|',
    `| version | ${m.version} |`,
    `| entity types | ${types.join(', ')} |`,
    `| label scheme (config.json) | ${m.labelScheme} |`,
    `| inputs | ${m.inputs.names.join(', ')} |`,
    `| window | ${m.maxLength} tokens, each repeating ${m.stride} of the one before |`,
    `| aggregation | ${m.aggregation} |`,
    `| model.onnx sha256 | \`${m.sha256}\` (from the export's ${String(m.source?.onnx ?? 'model.onnx')}) |`,
    `| source | ${source?.path ?? 'unknown'}${source?.transformersVersion ? ` (transformers ${source.transformersVersion})` : ''} |`,
    '',
    "Entities follow transformers' token-classification pipeline with this aggregation; an",
    "entity's `score` is the mean, over its sub-tokens (or words), of the softmax probability",
    'of the label they took. No accuracy was measured at import: run',
    `\`nerve eval --model <this folder> --conll FILE\` for that.`,
    '',
  ].join('\n');
}
