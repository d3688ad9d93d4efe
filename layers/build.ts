/**
 * Builds the Lambda layers' folders (synth calls this, so `cdk synth` always ships
 * what is in the repository):
 * - onnxruntime: onnxruntime-node with only its linux-x64 binaries (the npm package
 *   carries every platform, about 290 MB; the layer needs about 46 MB), plus
 *   onnxruntime-common, its one run-time dependency. Lambda puts /opt/nodejs/node_modules
 *   on the module path.
 * - models: the named model folders, as LAMBDA_MODELS_DIR/NAME (manifests and ONNX files only).
 */
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { LAMBDA_MODELS_DIR } from '../lambdas/shared/contract.js';
import { ModelNotFoundError } from '../lambdas/shared/errors.js';

const here = dirname(fileURLToPath(import.meta.url));
export const layersBuildDir = join(here, 'build');
const require = createRequire(import.meta.url);
/** Lambda extracts a layer under /opt, so the folder in the layer is LAMBDA_MODELS_DIR without it. */
const MODELS_IN_LAYER = posix.relative('/opt', LAMBDA_MODELS_DIR);

/** A package's folder, found from its entry point (some packages do not export package.json). */
function packageDir(name: string): string {
  let dir = dirname(require.resolve(name));
  while (!existsSync(join(dir, 'package.json')) || !dir.endsWith(join('node_modules', name))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the folder of package ${name}`);
    dir = up;
  }
  return dir;
}

/** The onnxruntime-node layer, trimmed to linux-x64. Returns the folder to zip. */
export function buildOnnxRuntimeLayer(): string {
  const out = join(layersBuildDir, 'onnxruntime');
  const modules = join(out, 'nodejs', 'node_modules');
  rmSync(out, { recursive: true, force: true });
  const ort = packageDir('onnxruntime-node');
  const target = join(modules, 'onnxruntime-node');
  mkdirSync(target, { recursive: true });
  cpSync(join(ort, 'package.json'), join(target, 'package.json'));
  cpSync(join(ort, 'dist'), join(target, 'dist'), { recursive: true });
  for (const napi of readdirSync(join(ort, 'bin'))) {
    const linux = join(ort, 'bin', napi, 'linux', 'x64');
    if (existsSync(linux)) cpSync(linux, join(target, 'bin', napi, 'linux', 'x64'), { recursive: true });
  }
  cpSync(packageDir('onnxruntime-common'), join(modules, 'onnxruntime-common'), { recursive: true });
  return out;
}

/** A models layer: LAMBDA_MODELS_DIR/NAME/{manifest.json,model.onnx} (an ensemble: its members' too). Returns the folder to zip. */
export function buildModelsLayer(modelsDir: string, names: readonly string[], folder = 'models'): string {
  const out = join(layersBuildDir, folder);
  rmSync(out, { recursive: true, force: true });
  for (const name of names) {
    const from = join(modelsDir, name);
    if (!existsSync(join(from, 'manifest.json'))) throw new ModelNotFoundError(`cannot build the models layer: ${from} has no manifest.json`, { model: name, modelsDir });
    // A model folder, or an ensemble folder of model folders: ship manifests and ONNX files only.
    cpSync(from, join(out, MODELS_IN_LAYER, name), { recursive: true, filter: (src) => statSync(src).isDirectory() || /(?:manifest\.json|\.onnx)$/.test(src) });
  }
  return out;
}

/** Bytes under a folder, as Lambda counts a layer's unzipped size. */
export function folderBytes(dir: string): number {
  const s = statSync(dir);
  if (!s.isDirectory()) return s.size;
  return readdirSync(dir).reduce((sum, name) => sum + folderBytes(join(dir, name)), 0);
}
