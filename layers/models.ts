/**
 * Which files of a models folder a deployment ships: exactly what loading the named models
 * reads, and nothing else (no model cards, parity files, unused int8 copies or other
 * models), so that a models folder need hold only the models the stack uses and the
 * layers and images carry only those.
 *
 * - a tagger: manifest.json and the ONNX file it names;
 * - a transformer (an Optimum export or an imported folder): its ONNX file, tokenizer.json,
 *   config.json, tokenizer_config.json where present, and manifest.json where present;
 * - an ensemble: its manifest.json and each member's files, wherever in the models folder
 *   the member lies (`"path": "../tiny-model"` is a member beside the ensemble); a member
 *   the manifest pins to a version must be at it (ensemble.ts checkMemberVersion).
 *
 * Sizes are read from the files (stat), never from their content, so a check costs the
 * same for a 50 MB model as for a 5 GB one (an Optimum export without a manifest is the
 * exception: its version is its ONNX file's sha256; `nerve models import` writes one).
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { checkMemberVersion, readEnsembleManifest } from '../lambdas/engine/ensemble.js';
import { loadModelFolder } from '../lambdas/engine/manifest.js';
import type { ModelFamily } from '../lambdas/engine/model.js';
import { isTransformerFolder, readTransformerFolder } from '../lambdas/engine/transformer/folder.js';
import { ConfigError, ModelNotFoundError } from '../lambdas/shared/errors.js';

export interface ShippedModels {
  /** The models folder the paths are relative to. */
  readonly modelsDir: string;
  /** The named models. */
  readonly names: readonly string[];
  /** Every file loading them reads, relative to modelsDir with "/" separators, sorted, each once. */
  readonly files: readonly string[];
  /** Their total size in bytes (apparent sizes, as Lambda counts an unzipped layer). */
  readonly bytes: number;
  /** The families of the single models among them (an ensemble's members): `transformer` needs the tokenizers module. */
  readonly families: ReadonlySet<Exclude<ModelFamily, 'ensemble'>>;
}

/** The files of `names` in `modelsDir` (checked as loading checks them, without hashing). */
export function shippedModels(modelsDir: string, names: readonly string[]): ShippedModels {
  const root = resolve(modelsDir);
  const files = new Set<string>();
  const families = new Set<Exclude<ModelFamily, 'ensemble'>>();
  const add = (path: string, what: string) => {
    const inside = relative(root, path);
    if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
      throw new ConfigError(`${what}: ${path} is outside the models folder ${root}; a deployment ships that folder's files only`, { modelsDir: root, file: path });
    }
    files.add(inside.split(sep).join('/'));
  };
  /** Adds a model folder's files (an ensemble's, its members'); returns its version. */
  const visit = (dir: string, what: string, seen: readonly string[]): string => {
    if (seen.includes(dir)) throw new ConfigError(`${what}: ensemble ${dir} is a member of itself`, { dir });
    if (!existsSync(join(dir, 'manifest.json')) && !existsSync(join(dir, 'config.json'))) {
      throw new ModelNotFoundError(`${what}: ${dir} holds no manifest.json (nor a Hugging Face export's config.json)`, { dir, modelsDir: root });
    }
    const ensemble = readEnsembleManifest(dir);
    if (ensemble) {
      add(join(dir, 'manifest.json'), what);
      for (const m of ensemble.members) checkMemberVersion(dir, m, visit(resolve(dir, m.path), `${what}, member ${m.path}`, [...seen, dir]));
      return ensemble.version;
    }
    if (isTransformerFolder(dir)) {
      const t = readTransformerFolder(dir, { verifyChecksum: false });
      families.add('transformer');
      for (const f of [t.onnxPath, t.tokenizerPath, join(dir, t.manifest?.config ?? 'config.json')]) add(f, what);
      const tokenizerConfig = join(dir, t.manifest?.tokenizerConfig ?? 'tokenizer_config.json');
      if (existsSync(tokenizerConfig)) add(tokenizerConfig, what);
      if (t.manifest) add(join(dir, 'manifest.json'), what);
      return t.version;
    }
    const tagger = loadModelFolder(dir, { verifyChecksum: false });
    families.add('bilstm-crf');
    add(join(dir, 'manifest.json'), what);
    add(tagger.onnxPath, what);
    return tagger.manifest.version;
  };
  for (const name of names) visit(join(root, name), `model "${name}"`, []);
  const sorted = [...files].sort();
  const bytes = sorted.reduce((sum, f) => sum + statSync(join(root, f)).size, 0);
  return { modelsDir: root, names, files: sorted, bytes, families };
}

/** True when a transformer is among the models: its tokenizer runs in `tokenizers`, a native module shipped beside onnxruntime-node. */
export function needsTokenizers(models: ShippedModels): boolean {
  return models.families.has('transformer');
}
