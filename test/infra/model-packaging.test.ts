/**
 * What a deployment carries of its models, in the whole app (cdk-nag included): a models
 * folder that holds only the models the stack runs, exactly the files they load, the
 * tokenizers layer where a transformer runs, and a container image instead of layers for
 * a function whose models pass Lambda's 250 MB unzipped limit (the limit and the switch).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { Worker } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildOnnxRuntimeLayer, folderBytes } from '../../layers/build.js';
import { needsTokenizers, shippedModels } from '../../layers/models.js';
import { importTransformer } from '../../lambdas/engine/transformer/import.js';
import { Tagger } from '../../lambdas/engine/tagger.js';
import type { FromWorker, WorkerSetup } from '../../lambdas/engine/parallel.js';
import { MODEL_WORKER_BUNDLE } from '../../lambdas/shared/contract.js';
import { BUNDLE_ALLOWANCE_BYTES, LAMBDA_UNZIPPED_LIMIT_BYTES, ModelPackaging } from '../../lib/model-code.js';
import { fixtures } from '../helpers/paths.js';
import { bareStack, NO_BUNDLING } from '../helpers/synth.js';
import { removeAfterAll, synthOnce } from './assemblies.js';

const require = (await import('node:module')).createRequire(import.meta.url);

/** A temporary models folder holding copies of the named fixtures, as NAME. */
function modelsFolder(models: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'nerve-models-'));
  removeAfterAll(dir);
  for (const [name, fixture] of Object.entries(models)) cpSync(join(fixtures, fixture), join(dir, name), { recursive: true });
  return dir;
}

/** Every file under a folder, relative to it, sorted. */
function filesUnder(dir: string): string[] {
  const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
  return walk(dir).map((f) => relative(dir, f)).sort();
}

type Synth = ReturnType<typeof synthOnce>;
const resources = (t: Template) => t.toJSON().Resources as Record<string, any>;
const fnNamed = (t: Template, description: RegExp) => Object.values(t.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp(description.source) } }))[0]!.Properties;
/** The logical ids of a function's layers, by their construct ids (OnnxRuntime, Tokenizers, Models, BatchModels). */
const layerIds = (fn: { Layers?: Array<{ Ref: string }> }) => (fn.Layers ?? []).map((l) => l.Ref.replace(/[0-9A-F]{8}$/, ''));
/** The folder a layer's asset was staged from, in the cloud assembly. */
function layerFolder(synth: Synth, logicalIdPrefix: string): string {
  const [, layer] = Object.entries(resources(synth.template)).find(([id, r]) => r.Type === 'AWS::Lambda::LayerVersion' && id.replace(/[0-9A-F]{8}$/, '') === logicalIdPrefix)!;
  const manifest = JSON.parse(readFileSync(join(synth.assembly.directory, 'Nerve.assets.json'), 'utf8'));
  return join(synth.assembly.directory, manifest.files[layer.Properties.Content.S3Key.replace(/\.zip$/, '')].source.path);
}
/** The container images the assembly builds, with their build context folders. */
function dockerImages(synth: Synth): Array<{ directory: string; dockerFile: string; platform?: string; dockerBuildArgs?: Record<string, string> }> {
  const manifest = JSON.parse(readFileSync(join(synth.assembly.directory, 'Nerve.assets.json'), 'utf8'));
  return Object.values(manifest.dockerImages as Record<string, { source: any }>).map(({ source }) => ({ ...source, directory: join(synth.assembly.directory, source.directory) }));
}

describe('a models folder that holds only what the stack runs: a tagger online, a Hugging Face export in batch', () => {
  let synth: Synth;
  let dir: string;
  beforeAll(() => {
    dir = modelsFolder({ tagger: 'tiny-model', bert: 'hf/bert-wordpiece' });
    writeFileSync(join(dir, 'tagger', 'README.md'), '# a model card: not loaded, not shipped\n');
    synth = synthOnce({ ...NO_BUNDLING, 'nerve:modelsDir': dir, 'nerve:model': 'tagger', 'nerve:batchModel': 'bert' });
  });

  it('synthesizes without small or ensemble in the folder, and each models layer holds exactly the files its model loads', () => {
    expect(readdirSync(dir).sort()).toEqual(['bert', 'tagger']);
    expect(filesUnder(layerFolder(synth, 'Models'))).toEqual(['models/tagger/manifest.json', 'models/tagger/model.onnx']);
    // Not the int8 copy, the vocab.txt or special_tokens_map.json: loading reads tokenizer.json and the configs.
    expect(filesUnder(join(dir, 'bert'))).toContain('model_quantized.onnx');
    expect(filesUnder(layerFolder(synth, 'BatchModels'))).toEqual(['models/bert/config.json', 'models/bert/model.onnx', 'models/bert/tokenizer.json', 'models/bert/tokenizer_config.json']);
  });

  it('the transformer\'s function gets the tokenizers layer; the tagger\'s functions do not', () => {
    synth.template.resourceCountIs('AWS::Lambda::LayerVersion', 4);
    synth.template.hasResourceProperties('AWS::Lambda::LayerVersion', { Description: Match.stringLikeRegexp('^tokenizers'), CompatibleArchitectures: ['x86_64'] });
    expect(layerIds(fnNamed(synth.template, /Nerve batch NER/))).toEqual(['OnnxRuntime', 'Tokenizers', 'BatchModels']);
    expect(layerIds(fnNamed(synth.template, /POST \/v1\/entities/))).toEqual(['OnnxRuntime', 'Models']);
    expect(layerIds(fnNamed(synth.template, /POST \/v1\/search/))).toEqual(['OnnxRuntime', 'Models']);
  });

  it('the GPU worker image carries the same files of the batch model, and no other model', () => {
    const [image] = dockerImages(synth);
    expect(filesUnder(join(image!.directory, 'models'))).toEqual(['bert/config.json', 'bert/model.onnx', 'bert/tokenizer.json', 'bert/tokenizer_config.json']);
  });

  it('the tokenizers layer holds only the linux-x64-gnu binary, and loads from outside the repository as Lambda finds it, giving the ids the repository\'s tokenizers gives', () => {
    const modules = join(layerFolder(synth, 'Tokenizers'), 'nodejs', 'node_modules');
    expect(filesUnder(join(modules, 'tokenizers'))).toEqual(['LICENSE', 'index.js', 'package.json', 'tokenizers.linux-x64-gnu.node']);
    const tokenizerJson = join(dir, 'bert', 'tokenizer.json');
    const text = 'Angela Merkel met Siemens executives in München.';
    // A process outside the repository, with the layer on NODE_PATH as Lambda puts /opt/nodejs/node_modules (encode is asynchronous in the binding).
    const script = `const t = require('tokenizers');
      t.Tokenizer.fromFile(${JSON.stringify(tokenizerJson)}).encode(${JSON.stringify(text)})
        .then((e) => console.log(JSON.stringify({ from: require.resolve('tokenizers'), ids: e.getIds() })));`;
    const run = spawnSync(process.execPath, ['-e', script], { cwd: mkdtempSync(join(tmpdir(), 'nerve-tok-')), encoding: 'utf8', env: { PATH: process.env.PATH, NODE_PATH: modules } });
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.from.startsWith(modules)).toBe(true);
    const { Tokenizer } = require('tokenizers') as typeof import('tokenizers');
    return Tokenizer.fromFile(tokenizerJson).encode(text).then((e) => {
      expect(out.ids).toEqual(e.getIds());
      expect(out.ids.length).toBeGreaterThan(5);
    });
  });
});

describe('the files of an imported transformer and of a mixed ensemble', () => {
  it('an imported folder ships its manifest and the files it names; a mixed ensemble, its manifest and each member\'s, the tagger beside it included; a transformer among them needs tokenizers', async () => {
    const dir = modelsFolder({ tagger: 'tiny-model' });
    await importTransformer(join(fixtures, 'hf', 'bert-wordpiece'), { out: join(dir, 'mixed', 'bert'), name: 'bert' });
    writeFileSync(join(dir, 'mixed', 'manifest.json'), JSON.stringify({ name: 'mixed', version: '1', format: 'nerve-ensemble/1', members: [{ path: 'bert', weight: 1 }, { path: '../tagger', weight: 1 }], combination: 'test' }));
    const imported = shippedModels(dir, ['mixed/bert']);
    expect(imported.files).toEqual(['mixed/bert/config.json', 'mixed/bert/manifest.json', 'mixed/bert/model.onnx', 'mixed/bert/tokenizer.json', 'mixed/bert/tokenizer_config.json']);
    const mixed = shippedModels(dir, ['mixed']);
    expect(mixed.files).toEqual(['mixed/bert/config.json', 'mixed/bert/manifest.json', 'mixed/bert/model.onnx', 'mixed/bert/tokenizer.json', 'mixed/bert/tokenizer_config.json', 'mixed/manifest.json', 'tagger/manifest.json', 'tagger/model.onnx']);
    expect([...mixed.families].sort()).toEqual(['bilstm-crf', 'transformer']);
    expect(needsTokenizers(mixed)).toBe(true);
    expect(needsTokenizers(shippedModels(dir, ['tagger']))).toBe(false);
    expect(mixed.bytes).toBe(mixed.files.reduce((sum, f) => sum + statSync(join(dir, f)).size, 0));
  }, 60_000);

  it('a member outside the models folder, or a model that is not there, is refused by name', () => {
    const dir = modelsFolder({ 'tiny-ensemble': 'tiny-ensemble' }); // its members are ../tiny-model, not copied
    expect(() => shippedModels(dir, ['tiny-ensemble'])).toThrow(/model "tiny-ensemble", member \.\.\/tiny-model: .*tiny-model holds no manifest\.json/);
    // With its members beside it, but the models folder the ensemble's own: they lie outside.
    const beside = modelsFolder({ 'tiny-ensemble': 'tiny-ensemble', 'tiny-model': 'tiny-model' });
    expect(() => shippedModels(join(beside, 'tiny-ensemble'), ['.'])).toThrow(/member \.\.\/tiny-model: .*tiny-model\/manifest\.json is outside the models folder/);
    expect(shippedModels(beside, ['tiny-ensemble']).files).toEqual(['tiny-ensemble/manifest.json', 'tiny-model/manifest.json', 'tiny-model/model.onnx']);
    expect(() => shippedModels(dir, ['small'])).toThrow(/model "small": .*small holds no manifest\.json/);
  });

  it('refuses, at synth, an ensemble whose pinned member is at another version: the stack would ship what was never measured', () => {
    const dir = modelsFolder({ 'tiny-ensemble': 'tiny-ensemble', 'tiny-model': 'tiny-model' });
    const pin = (version: string) => writeFileSync(join(dir, 'tiny-ensemble', 'manifest.json'), JSON.stringify({ name: 'tiny-ensemble', version: '2', format: 'nerve-ensemble/1', members: [{ path: '../tiny-model', weight: 1, version }], combination: 'test' }));
    pin('0.0.1');
    expect(shippedModels(dir, ['tiny-ensemble']).files).toEqual(['tiny-ensemble/manifest.json', 'tiny-model/manifest.json', 'tiny-model/model.onnx']);
    pin('0.0.0');
    expect(() => shippedModels(dir, ['tiny-ensemble'])).toThrow(/member \.\.\/tiny-model is version 0\.0\.1, but the ensemble was built with 0\.0\.0/);
  });
});

describe('a model past Lambda\'s 250 MB unzipped puts its function on a container image', () => {
  let synth: Synth;
  const BIG = 250 * 1000 * 1000; // with the runtime and the bundle, well past 262,144,000 bytes
  beforeAll(() => {
    const dir = modelsFolder({ tiny: 'tiny-model', big: 'tiny-model' });
    // A sparse file: its size is what the check reads; no byte of it is written to disk.
    truncateSync(join(dir, 'big', 'model.onnx'), BIG);
    synth = synthOnce({ 'nerve:modelsDir': dir, 'nerve:model': 'tiny', 'nerve:batchModel': 'big', 'nerve:gpuWorkers': 'false' });
  }, 120_000);

  it('the batch function is an image function (x86_64) with the same environment; online and search stay on layers', () => {
    const batch = fnNamed(synth.template, /Nerve batch NER/);
    expect(batch).toMatchObject({ PackageType: 'Image', Architectures: ['x86_64'], Code: { ImageUri: { 'Fn::Sub': expect.stringMatching(/container-assets/) } }, TracingConfig: { Mode: 'Active' } });
    expect(batch.Layers).toBeUndefined();
    expect(batch.Runtime).toBeUndefined();
    expect(batch.Environment.Variables).toMatchObject({ NERVE_BATCH_MODEL: 'big', NERVE_MODELS_DIR: '/opt/models' });
    for (const route of [/POST \/v1\/entities/, /POST \/v1\/search/]) {
      const fn = fnNamed(synth.template, route);
      expect(fn.PackageType).toBeUndefined();
      expect(layerIds(fn)).toEqual(['OnnxRuntime', 'Models']);
    }
    // No batch models layer is built for a function that does not use one.
    expect(Object.keys(synth.template.findResources('AWS::Lambda::LayerVersion')).map((id) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['Models', 'OnnxRuntime']);
  });

  it('its image is built for linux/amd64 from layers/Dockerfile.function, with the /opt folders the layers would hold and the bundle', () => {
    const images = dockerImages(synth);
    expect(images).toHaveLength(1); // no GPU workers here
    const image = images[0]!;
    expect(image).toMatchObject({ dockerFile: 'Dockerfile.function', platform: 'linux/amd64' });
    const dockerfile = readFileSync(join(image.directory, 'Dockerfile.function'), 'utf8');
    expect(dockerfile).toMatch(/^FROM public\.ecr\.aws\/lambda\/nodejs:22$/m);
    expect(dockerfile).toMatch(/^COPY opt\/ \/opt\/$/m);
    expect(dockerfile).toMatch(/^CMD \["index\.handler"\]$/m);
    const files = filesUnder(image.directory);
    expect(files.filter((f) => f.startsWith('opt/models/'))).toEqual(['opt/models/big/manifest.json', 'opt/models/big/model.onnx']);
    expect(statSync(join(image.directory, 'opt', 'models', 'big', 'model.onnx')).size).toBe(BIG);
    expect(files).toContain('opt/nodejs/node_modules/onnxruntime-node/package.json');
    expect(files.some((f) => f.startsWith('opt/nodejs/node_modules/tokenizers'))).toBe(false); // a tagger needs none
    expect(files).toEqual(expect.arrayContaining(['function/index.mjs', `function/${MODEL_WORKER_BUNDLE}`]));
  });

  it('the image\'s model worker bundle runs from its folder, finding onnxruntime-node in the image\'s /opt folders only', async () => {
    const image = dockerImages(synth)[0]!;
    const dir = mkdtempSync(join(tmpdir(), 'nerve-image-'));
    removeAfterAll(dir);
    copyFileSync(join(image.directory, 'function', MODEL_WORKER_BUNDLE), join(dir, MODEL_WORKER_BUNDLE));
    const model = join(fixtures, 'tiny-model');
    const setup: WorkerSetup = { ref: model, options: {} };
    const worker = new Worker(join(dir, MODEL_WORKER_BUNDLE), { workerData: { setup }, env: { ...process.env, NODE_PATH: join(image.directory, 'opt', 'nodejs', 'node_modules') } });
    try {
      const next = () => new Promise<FromWorker>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      const ready = await next();
      const tagger = await Tagger.load(model);
      expect(ready).toEqual({ kind: 'ready', model: tagger.model, family: tagger.family, labels: tagger.labels });
      await tagger.release();
    } finally {
      await worker.terminate();
    }
  });
});

describe('the limit itself', () => {
  it('models, runtime and bundle allowance at exactly 250 MB stay on layers; one byte more goes to an image', () => {
    const dir = modelsFolder({ edge: 'tiny-model' });
    const onnx = join(dir, 'edge', 'model.onnx');
    const runtime = folderBytes(buildOnnxRuntimeLayer());
    const manifest = statSync(join(dir, 'edge', 'manifest.json')).size;
    const fits = LAMBDA_UNZIPPED_LIMIT_BYTES - runtime - BUNDLE_ALLOWANCE_BYTES - manifest;
    const kindAt = (onnxBytes: number) => {
      truncateSync(onnx, onnxBytes);
      const stack: Stack = bareStack();
      // No staging: the layer's files are not copied into the assembly (the check needs their sizes only).
      stack.node.setContext('aws:cdk:disable-asset-staging', true);
      const code = new ModelPackaging(stack, dir).forModels('Models', ['edge']);
      return code.kind === 'image' ? `image (${code.reason})` : code.kind;
    };
    expect(kindAt(fits)).toBe('layers');
    expect(kindAt(fits + 1)).toMatch(/^image \(edge: models \d+\.\d MB \+ runtime \d+\.\d MB \+ bundle allowance 16\.8 MB = 262\.1 MB, over Lambda's 262\.1 MB unzipped\)$/);
  });
});
