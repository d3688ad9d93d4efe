/**
 * A model folder: `manifest.json` (labels, feature scheme, vocabularies, CRF
 * transitions, version, sha256) next to `model.onnx`. Loading checks everything the
 * engine relies on and names the first problem it finds.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelInvalidError, ModelNotFoundError } from '../shared/errors.js';
import { ENV } from '../shared/env.js';

export const FEATURE_SCHEME = 'nerve-words-chars-casing/1';

export interface CrfDecoderSpec {
  readonly kind: 'crf';
  readonly transitions: number[][];
  readonly start: number[];
  readonly end: number[];
}

export interface ModelManifest {
  readonly name: string;
  readonly version: string;
  readonly file: string;
  readonly sha256: string;
  readonly labels: string[];
  readonly decoder: CrfDecoderSpec;
  readonly inputs: {
    readonly names: string[];
    readonly featureScheme: string;
    readonly maxChars: number;
    readonly casing: string[];
    readonly words: string[];
    readonly chars: string[];
    readonly unkId: number;
  };
  readonly metrics?: Record<string, unknown>;
}

export interface ModelFolder {
  readonly dir: string;
  readonly manifest: ModelManifest;
  readonly onnxPath: string;
}

/** Where named models live: NERVE_MODELS_DIR (a Lambda layer's /opt/models), else the repository's models/. */
export function modelsDir(): string {
  const fromEnv = process.env[ENV.modelsDir];
  if (fromEnv) return fromEnv;
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../models');
}

/** A name (`small`) resolves under modelsDir(); anything with a path separator is a folder. */
export function resolveModelDir(ref: string): string {
  if (typeof ref !== 'string' || ref.trim() === '') {
    throw new ModelNotFoundError('model must be a name such as "small" or a path to a model folder');
  }
  const looksLikePath = ref.includes('/') || ref.includes('\\') || ref.startsWith('.') || isAbsolute(ref);
  const dir = looksLikePath ? resolve(ref) : join(modelsDir(), ref);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ModelNotFoundError(
      looksLikePath ? `model folder ${dir} does not exist` : `no model named "${ref}" in ${modelsDir()}`,
      { model: ref },
    );
  }
  return dir;
}

function fail(dir: string, problem: string): never {
  throw new ModelInvalidError(`model folder ${dir}: ${problem}`, { dir });
}

function isNumberMatrix(m: unknown, rows: number, cols: number): boolean {
  return (
    Array.isArray(m) &&
    m.length === rows &&
    m.every((r) => Array.isArray(r) && r.length === cols && r.every((v) => typeof v === 'number' && Number.isFinite(v)))
  );
}

function validate(dir: string, raw: unknown): ModelManifest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(dir, 'manifest.json is not a JSON object');
  const m = raw as Record<string, any>;
  for (const key of ['name', 'version', 'file', 'sha256'] as const) {
    if (typeof m[key] !== 'string' || m[key] === '') fail(dir, `manifest.json lacks a string "${key}"`);
  }
  const labels = m.labels;
  if (!Array.isArray(labels) || labels.length === 0 || !labels.every((l) => typeof l === 'string')) {
    fail(dir, 'manifest.json "labels" must be a non-empty array of strings');
  }
  for (const l of labels as string[]) {
    if (l !== 'O' && !/^[BI]-.+$/.test(l)) fail(dir, `label "${l}" is not O, B-TYPE or I-TYPE (IOB2 models only)`);
  }
  const k = labels.length;
  const d = m.decoder;
  if (!d || d.kind !== 'crf') fail(dir, 'manifest.json "decoder.kind" must be "crf"');
  if (!isNumberMatrix(d.transitions, k, k)) fail(dir, `decoder.transitions must be a ${k}x${k} matrix of numbers`);
  if (!isNumberMatrix([d.start, d.end], 2, k)) fail(dir, `decoder.start and decoder.end must be ${k} numbers each`);
  const inp = m.inputs;
  if (!inp || inp.featureScheme !== FEATURE_SCHEME) {
    fail(dir, `inputs.featureScheme is ${JSON.stringify(inp?.featureScheme)}; this engine implements "${FEATURE_SCHEME}"`);
  }
  for (const key of ['words', 'chars', 'casing', 'names'] as const) {
    if (!Array.isArray(inp[key]) || !inp[key].every((v: unknown) => typeof v === 'string')) {
      fail(dir, `inputs.${key} must be an array of strings`);
    }
  }
  if (!Number.isInteger(inp.maxChars) || inp.maxChars < 2) fail(dir, 'inputs.maxChars must be an integer ≥ 2');
  return m as ModelManifest;
}

/** Read and check a model folder. `verifyChecksum` hashes model.onnx against the manifest. */
export function loadModelFolder(ref: string, { verifyChecksum = true } = {}): ModelFolder {
  const dir = resolveModelDir(ref);
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) fail(dir, 'manifest.json is missing');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (e) {
    fail(dir, `manifest.json is not valid JSON (${(e as Error).message})`);
  }
  const manifest = validate(dir, raw);
  const onnxPath = join(dir, manifest.file);
  if (!existsSync(onnxPath)) fail(dir, `${manifest.file} is missing`);
  if (verifyChecksum) {
    const actual = createHash('sha256').update(readFileSync(onnxPath)).digest('hex');
    if (actual !== manifest.sha256) fail(dir, `${manifest.file} has sha256 ${actual}, the manifest says ${manifest.sha256}`);
  }
  return { dir, manifest, onnxPath };
}
