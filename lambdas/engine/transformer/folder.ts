/**
 * A transformer's folder, in either of two forms:
 *
 * - a Hugging Face Optimum export, as `optimum-cli export onnx --task token-classification`
 *   writes it: config.json, tokenizer.json, tokenizer_config.json and model.onnx (or
 *   onnx/model.onnx); its name is the folder's and its version the ONNX file's sha256;
 * - a Nerve model folder made from one by import.ts: the same files beside a
 *   manifest.json (family "transformer") that names them, with their checksum, the source
 *   and the settings chosen at import.
 *
 * Reading one checks everything that can be checked without ONNX Runtime and names the
 * file and the problem; model.ts checks the rest when it opens the session.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ModelInvalidError, ModelUnsupportedError } from '../../shared/errors.js';
import { AGGREGATIONS, type Aggregation } from './aggregate.js';
import { readLabels, type LabelScheme, type LabelSet } from './labels.js';

export const TRANSFORMER_FAMILY = 'transformer';
export const TRANSFORMER_FORMAT = 'nerve-transformer/1';

/** Architectures whose positions start after the padding id, so two embeddings are not positions. */
const POSITIONS_AFTER_PADDING = new Set(['roberta', 'xlm-roberta', 'camembert', 'longformer', 'mpnet']);

export interface TransformerManifest {
  readonly family: typeof TRANSFORMER_FAMILY;
  readonly format: typeof TRANSFORMER_FORMAT;
  readonly name: string;
  readonly version: string;
  /** The ONNX file, its sha256, and the Hugging Face files beside it. */
  readonly file: string;
  readonly sha256: string;
  readonly tokenizer: string;
  readonly config: string;
  readonly tokenizerConfig?: string;
  /** The engine's IOB2 labels, and the scheme of the model's own (config.json's id2label). */
  readonly labels: readonly string[];
  readonly labelScheme: LabelScheme;
  readonly maxLength: number;
  /** Defaults for this model; a load option overrides them. */
  readonly stride?: number;
  readonly aggregation?: Aggregation;
  readonly inputs: { readonly names: readonly string[] };
  readonly source?: Record<string, unknown>;
  readonly metrics?: Record<string, unknown>;
}

export interface TransformerFolder {
  readonly dir: string;
  readonly name: string;
  readonly version: string;
  readonly onnxPath: string;
  readonly tokenizerPath: string;
  readonly tokenizerJson: string;
  readonly labels: LabelSet;
  readonly maxLength: number;
  readonly unkToken?: string;
  readonly padToken?: string;
  readonly padId?: number;
  readonly vocabSize?: number;
  readonly stride?: number;
  readonly aggregation?: Aggregation;
  readonly manifest?: TransformerManifest;
}

function readJson(path: string, what: string): any {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ModelInvalidError(`${path} is not valid JSON (${(e as Error).message})`, { file: path });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ModelInvalidError(`${path} is not a JSON object (${what})`, { file: path });
  return raw;
}

/** A special token as tokenizer_config.json writes it: a string or `{content}`. */
function tokenString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

export function sha256Of(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * The ONNX file of an Optimum export: `onnxFile` when given (model_quantized.onnx, an int8
 * copy: tools/hf/quantize.py), else model.onnx, or onnx/model.onnx as the Hub's repositories hold it.
 */
export function exportOnnxFile(dir: string, onnxFile?: string): string | undefined {
  return (onnxFile !== undefined ? [onnxFile] : ['model.onnx', join('onnx', 'model.onnx')]).find((f) => existsSync(join(dir, f)));
}

/** True when `dir` holds a transformer: a manifest of that family, or an export without a manifest. */
export function isTransformerFolder(dir: string): boolean {
  const manifest = join(dir, 'manifest.json');
  if (!existsSync(manifest)) return existsSync(join(dir, 'config.json'));
  try {
    return JSON.parse(readFileSync(manifest, 'utf8'))?.family === TRANSFORMER_FAMILY;
  } catch {
    return false; // the other families report malformed JSON with their own message
  }
}

function checkManifest(dir: string, m: any): TransformerManifest {
  const fail = (problem: string): never => {
    throw new ModelInvalidError(`${join(dir, 'manifest.json')}: ${problem}`, { file: join(dir, 'manifest.json') });
  };
  if (m.format !== TRANSFORMER_FORMAT) fail(`"format" is ${JSON.stringify(m.format)}; this engine reads "${TRANSFORMER_FORMAT}"`);
  for (const key of ['name', 'version', 'file', 'sha256', 'tokenizer', 'config'] as const) {
    if (typeof m[key] !== 'string' || m[key] === '') fail(`lacks a string "${key}"`);
  }
  if (m.aggregation !== undefined && !(AGGREGATIONS as readonly unknown[]).includes(m.aggregation)) {
    fail(`"aggregation" must be one of ${AGGREGATIONS.join(', ')}, got ${JSON.stringify(m.aggregation)}`);
  }
  if (m.stride !== undefined && !Number.isInteger(m.stride)) fail('"stride" must be an integer');
  return m as TransformerManifest;
}

/** The longest window: tokenizer_config.json's model_max_length, else the position embeddings'. */
function maxLengthOf(config: any, tokenizerConfig: any, configPath: string): number {
  const fromTokenizer = tokenizerConfig?.model_max_length;
  if (Number.isInteger(fromTokenizer) && fromTokenizer > 0 && fromTokenizer <= 1_000_000) return fromTokenizer;
  const positions = config.max_position_embeddings;
  if (!Number.isInteger(positions) || positions < 4) {
    throw new ModelInvalidError(`${configPath}: no "max_position_embeddings", and tokenizer_config.json gives no model_max_length, so the model's window is unknown`, { file: configPath });
  }
  return positions - (POSITIONS_AFTER_PADDING.has(config.model_type) ? 2 : 0);
}

/**
 * Read and check a transformer folder (either form). `verifyChecksum` hashes the ONNX file
 * against the manifest; `onnxFile` picks an export's ONNX file (an imported folder's manifest names its own).
 */
export function readTransformerFolder(dir: string, { verifyChecksum = true, onnxFile }: { verifyChecksum?: boolean; onnxFile?: string } = {}): TransformerFolder {
  const manifestPath = join(dir, 'manifest.json');
  const manifest = existsSync(manifestPath) ? checkManifest(dir, readJson(manifestPath, 'a Nerve manifest')) : undefined;
  const notExport = (missing: string): never => {
    throw new ModelInvalidError(`${dir} is not a Hugging Face token-classification export: ${missing}`, { dir, file: missing });
  };
  const onnx = manifest?.file ?? exportOnnxFile(dir, onnxFile) ?? notExport(`${onnxFile ?? 'model.onnx (or onnx/model.onnx)'} is missing`);
  const files = { onnx, config: manifest?.config ?? 'config.json', tokenizer: manifest?.tokenizer ?? 'tokenizer.json' };
  for (const f of Object.values(files)) if (!existsSync(join(dir, f))) notExport(`${f} is missing`);
  const onnxPath = join(dir, files.onnx);
  const configPath = join(dir, files.config);
  const tokenizerPath = join(dir, files.tokenizer);
  const config = readJson(configPath, 'a transformers config');
  const architectures: unknown = config.architectures;
  if (Array.isArray(architectures) && !architectures.some((a) => typeof a === 'string' && a.endsWith('ForTokenClassification'))) {
    throw new ModelUnsupportedError(`${configPath}: architecture ${architectures.join(', ')} is not a token-classification model (…ForTokenClassification)`, { file: configPath });
  }
  const labels = readLabels(config.id2label, configPath);
  const tokenizerConfigPath = join(dir, manifest?.tokenizerConfig ?? 'tokenizer_config.json');
  const tokenizerConfig = existsSync(tokenizerConfigPath) ? readJson(tokenizerConfigPath, 'a tokenizer config') : undefined;
  const sha256 = manifest && !verifyChecksum ? manifest.sha256 : sha256Of(onnxPath);
  if (manifest && sha256 !== manifest.sha256) {
    throw new ModelInvalidError(`${onnxPath} has sha256 ${sha256}, ${manifestPath} says ${manifest.sha256}`, { file: onnxPath });
  }
  return {
    dir,
    name: manifest?.name ?? basename(dir),
    version: manifest?.version ?? `sha256-${sha256.slice(0, 12)}`,
    onnxPath,
    tokenizerPath,
    tokenizerJson: readFileSync(tokenizerPath, 'utf8'),
    labels,
    maxLength: manifest?.maxLength ?? maxLengthOf(config, tokenizerConfig, configPath),
    unkToken: tokenString(tokenizerConfig?.unk_token),
    padToken: tokenString(tokenizerConfig?.pad_token),
    padId: Number.isInteger(config.pad_token_id) ? config.pad_token_id : undefined,
    vocabSize: Number.isInteger(config.vocab_size) ? config.vocab_size : undefined,
    stride: manifest?.stride,
    aggregation: manifest?.aggregation,
    manifest,
  };
}
