/**
 * Builds the Lambda layers' folders (synth calls this, so `cdk synth` always ships
 * what is in the repository):
 * - onnxruntime: onnxruntime-node with only its linux-x64 binaries (the npm package
 *   carries every platform, about 290 MB; the layer needs about 46 MB), plus
 *   onnxruntime-common, its one run-time dependency. Lambda puts /opt/nodejs/node_modules
 *   on the module path.
 * - tokenizers: Hugging Face's tokenizers binding with only its linux-x64 (glibc) binary
 *   (the package carries 13 platforms, 64 MB; the layer needs about 5 MB), for functions
 *   whose models include a transformer.
 * - models: the files the named models load (models.ts), as LAMBDA_MODELS_DIR/PATH.
 * A folder is laid out as Lambda extracts a layer under /opt, so a container image
 * (lib/function-image.ts) copies the same folders to /opt.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { LAMBDA_MODELS_DIR } from '../lambdas/shared/contract.js';
import type { ShippedModels } from './models.js';

const here = dirname(fileURLToPath(import.meta.url));
export const layersBuildDir = join(here, 'build');
const require = createRequire(import.meta.url);
/** Lambda extracts a layer under /opt, so the folder in the layer is LAMBDA_MODELS_DIR without it. */
const MODELS_IN_LAYER = posix.relative('/opt', LAMBDA_MODELS_DIR);

/** How long an assembled folder nobody reused is kept: a day, well past any synth. */
const KEEP_UNUSED_MS = 24 * 60 * 60 * 1000;

/** What identifies a file's content cheaply: its path, size and modification time (never its bytes: models are large). */
export function stamps(paths: readonly string[]): string[] {
  return paths.map((p) => {
    const st = statSync(p);
    return `${p}\0${st.size}\0${st.mtimeMs}`;
  });
}

/** Every file under a folder (absolute paths, sorted). */
export function filesIn(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? filesIn(path) : [path];
    })
    .sort();
}

/**
 * A folder assembled once for its inputs, at layers/build/KIND/KEY, KEY a hash of `key`
 * (stamps() of what goes in, and any setting). Synths running at once (test files run in
 * parallel) never rebuild a folder another is staging: it is built beside and renamed into
 * place, and one that exists is reused. Folders of KIND unused for a day are removed.
 */
export function assembled(kind: string, key: readonly string[], build: (dir: string) => void): string {
  const parent = join(layersBuildDir, kind);
  mkdirSync(parent, { recursive: true });
  const now = Date.now();
  for (const name of readdirSync(parent)) {
    const old = join(parent, name);
    if (now - statSync(old).mtimeMs > KEEP_UNUSED_MS) rmSync(old, { recursive: true, force: true });
  }
  const dir = join(parent, createHash('sha256').update(key.join('\n')).digest('hex').slice(0, 24));
  if (!existsSync(dir)) {
    const partial = mkdtempSync(join(parent, '.building-'));
    build(partial);
    try {
      renameSync(partial, dir);
    } catch {
      rmSync(partial, { recursive: true, force: true }); // another synth put the same folder in place first
    }
  }
  utimesSync(dir, new Date(now), new Date(now));
  return dir;
}

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
  const ort = packageDir('onnxruntime-node');
  const common = packageDir('onnxruntime-common');
  return assembled('onnxruntime', stamps([join(ort, 'package.json'), join(common, 'package.json')]), (out) => {
    const modules = join(out, 'nodejs', 'node_modules');
    const target = join(modules, 'onnxruntime-node');
    mkdirSync(target, { recursive: true });
    cpSync(join(ort, 'package.json'), join(target, 'package.json'));
    cpSync(join(ort, 'dist'), join(target, 'dist'), { recursive: true });
    for (const napi of readdirSync(join(ort, 'bin'))) {
      const linux = join(ort, 'bin', napi, 'linux', 'x64');
      if (existsSync(linux)) cpSync(linux, join(target, 'bin', napi, 'linux', 'x64'), { recursive: true });
    }
    cpSync(common, join(modules, 'onnxruntime-common'), { recursive: true });
  });
}

/** The tokenizers layer: index.js (napi-rs's loader, which picks tokenizers.linux-x64-gnu.node on Lambda's glibc) and that one binary. Returns the folder to zip. */
export function buildTokenizersLayer(): string {
  const from = packageDir('tokenizers');
  const files = ['package.json', 'index.js', 'LICENSE', 'tokenizers.linux-x64-gnu.node'];
  return assembled('tokenizers', stamps(files.map((f) => join(from, f))), (out) => {
    const target = join(out, 'nodejs', 'node_modules', 'tokenizers');
    mkdirSync(target, { recursive: true });
    for (const file of files) cpSync(join(from, file), join(target, file));
  });
}

/**
 * A file at a second path without a second copy where the file system allows (a hard
 * link: a multi-gigabyte model is not duplicated at every synth), else a copy.
 */
export function linkOrCopy(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

/** A folder's tree at a second path, file by file (linkOrCopy). */
export function linkTree(from: string, to: string): void {
  if (!statSync(from).isDirectory()) return linkOrCopy(from, to);
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) linkTree(join(from, name), join(to, name));
}

/** A models layer: LAMBDA_MODELS_DIR/PATH for every file the models load (models.ts), and nothing else. Returns the folder to zip. */
export function buildModelsLayer(models: ShippedModels): string {
  return assembled('models', [models.names.join(','), ...stamps(models.files.map((f) => join(models.modelsDir, f)))], (out) => {
    mkdirSync(join(out, MODELS_IN_LAYER), { recursive: true });
    for (const file of models.files) linkOrCopy(join(models.modelsDir, file), join(out, MODELS_IN_LAYER, file));
  });
}

/** Bytes under a folder, as Lambda counts a layer's unzipped size. */
export function folderBytes(dir: string): number {
  const s = statSync(dir);
  if (!s.isDirectory()) return s.size;
  return readdirSync(dir).reduce((sum, name) => sum + folderBytes(join(dir, name)), 0);
}
