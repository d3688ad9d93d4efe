/**
 * How a Nerve function's code is bundled, written once for both packagings: a zip
 * function's NodejsFunction bundling (nodeBundling) and a container image's bundle, built
 * at synth by the same esbuild with the same settings (bundleInto).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { buildSync } from 'esbuild';
import { MODEL_WORKER_BUNDLE } from '../lambdas/shared/contract.js';

/** The engine's worker thread, which MODEL_WORKER_BUNDLE is built from. */
const MODEL_WORKER_ENTRY = 'lambdas/engine/parallel-worker.ts';

/** Bundled CommonJS dependencies still call require(); give ESM one. */
const REQUIRE_BANNER = "import { createRequire as __nerveCreateRequire } from 'module'; const require = __nerveCreateRequire(import.meta.url);";
/**
 * Native addons esbuild cannot bundle, found at run time in /opt/nodejs/node_modules (a
 * layer, or the image's /opt): onnxruntime-node, and tokenizers, which the engine requires
 * only when a transformer loads (lambdas/engine/transformer/tokenizer.ts). The AWS SDK is in the runtime.
 */
export const EXTERNAL_MODULES = ['onnxruntime-node', 'tokenizers', '@aws-sdk/*'];
const TARGET = 'node22';
const MAIN_FIELDS = ['module', 'main'];
/** The handler bundle's name for ESM, as NodejsFunction writes it. */
const HANDLER_BUNDLE = 'index.mjs';

/**
 * The engine's worker thread as a second bundle beside the handler, where ParallelModel
 * looks for it (MODEL_WORKER_BUNDLE): one bundle cannot hold two entries, and a worker
 * thread needs its own file. CommonJS, so that it finds onnxruntime-node in the layer by
 * NODE_PATH, which require() reads in any thread.
 */
function modelWorkerCommand(inputDir: string, outputDir: string): string {
  return [
    `"${inputDir}/node_modules/.bin/esbuild"`,
    `"${inputDir}/${MODEL_WORKER_ENTRY}"`,
    // error: esbuild warns that import.meta is empty in CommonJS; the one use
    // (manifest.ts: the repository's models/) is never reached where NERVE_MODELS_DIR is set.
    '--bundle --platform=node --format=cjs --minify --sourcemap --log-level=error',
    `--target=${TARGET}`,
    `--main-fields=${MAIN_FIELDS.join(',')}`,
    ...EXTERNAL_MODULES.map((m) => `--external:${m}`),
    `"--outfile=${outputDir}/${MODEL_WORKER_BUNDLE}"`,
  ].join(' ');
}

/** esbuild, as ESM (top-level await loads the model at init); the native addons come from the layers. */
export function nodeBundling({ modelWorker = false } = {}): BundlingOptions {
  return {
    format: OutputFormat.ESM,
    target: TARGET,
    minify: true,
    sourceMap: true,
    mainFields: MAIN_FIELDS,
    externalModules: EXTERNAL_MODULES,
    banner: REQUIRE_BANNER,
    commandHooks: modelWorker
      ? { beforeBundling: () => [], beforeInstall: () => [], afterBundling: (inputDir, outputDir) => [modelWorkerCommand(inputDir, outputDir)] }
      : undefined,
  };
}

/**
 * The handler (and the model worker) bundled into `outDir` as a zip function's bundle is,
 * for a container image. `bundle: false` (a synth that skips bundling, as tests' NO_BUNDLING
 * asks) writes a placeholder handler instead, as NodejsFunction does then.
 */
export function bundleInto(outDir: string, { repoRoot, entry, modelWorker = false, bundle = true }: { repoRoot: string; entry: string; modelWorker?: boolean; bundle?: boolean }): void {
  mkdirSync(outDir, { recursive: true });
  if (!bundle) {
    writeFileSync(join(outDir, HANDLER_BUNDLE), '// bundling skipped at synth (aws:cdk:bundling-stacks)\nexport const handler = () => { throw new Error("not bundled"); };\n');
    return;
  }
  const common = { bundle: true, platform: 'node', target: TARGET, minify: true, sourcemap: true, mainFields: MAIN_FIELDS, external: EXTERNAL_MODULES, absWorkingDir: repoRoot, logLevel: 'error' } as const;
  buildSync({ ...common, entryPoints: [join(repoRoot, entry)], format: 'esm', banner: { js: REQUIRE_BANNER }, outfile: join(outDir, HANDLER_BUNDLE) });
  if (modelWorker) buildSync({ ...common, entryPoints: [join(repoRoot, MODEL_WORKER_ENTRY)], format: 'cjs', outfile: join(outDir, MODEL_WORKER_BUNDLE) });
}
