/**
 * What a function that runs a model carries besides its handler's bundle: onnxruntime-node,
 * `tokenizers` when a transformer is among its models, and exactly the files its models
 * load (layers/models.ts). As Lambda layers while function and layers fit Lambda's 250 MB
 * unzipped limit; past it, the same folders in a container image (up to 10 GB), at the
 * same paths under /opt, so the handler cannot tell the difference (lib/function-image.ts).
 */
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { buildModelsLayer, buildOnnxRuntimeLayer, buildTokenizersLayer, folderBytes } from '../layers/build.js';
import { needsTokenizers, shippedModels } from '../layers/models.js';
import { LAMBDA_MODELS_DIR } from '../lambdas/shared/contract.js';
import { LAMBDA_DEFAULTS } from './lambda-function.js';

/** Lambda's limit on a function's unzipped code and layers together: 250 MB (262,144,000 bytes). */
export const LAMBDA_UNZIPPED_LIMIT_BYTES = 262_144_000;
/**
 * Room left for the handler's bundle, which does not exist yet when the packaging is chosen
 * (esbuild runs as the function is made): the batch handler's bundle, its model worker and
 * their source maps come to about 10 MB; test/infra measures the real sum.
 */
export const BUNDLE_ALLOWANCE_BYTES = 16 * 1024 * 1024;

/** Layer folders (each laid out as under /opt) and what they hold, for a function's image. */
export interface OptFolder {
  readonly dir: string;
  readonly bytes: number;
}

export type ModelCode =
  /** Lambda layers: onnxruntime-node, tokenizers where needed, the models. */
  | { readonly kind: 'layers'; readonly layers: readonly lambda.ILayerVersion[] }
  /** A container image holding the same folders under /opt, and why (the sizes that do not fit). */
  | { readonly kind: 'image'; readonly opt: readonly OptFolder[]; readonly reason: string };

/**
 * Chooses, for each set of models a stack's functions run, layers or an image, and builds
 * each folder and layer once (onnxruntime-node is shared by every function on layers).
 */
export class ModelPackaging {
  private readonly built = new Map<string, OptFolder>();
  private readonly layers = new Map<string, lambda.LayerVersion>();

  constructor(
    private readonly scope: Construct,
    private readonly modelsDir: string,
  ) {}

  /** The code for functions that run `names`, with its models layer (if layers) named `id`. */
  forModels(id: string, names: readonly string[]): ModelCode {
    const models = shippedModels(this.modelsDir, names);
    const runtimes = [this.folder('onnxruntime', buildOnnxRuntimeLayer)];
    if (needsTokenizers(models)) runtimes.push(this.folder('tokenizers', buildTokenizersLayer));
    const runtimeBytes = runtimes.reduce((sum, f) => sum + f.bytes, 0);
    const total = runtimeBytes + models.bytes + BUNDLE_ALLOWANCE_BYTES;
    const modelsFolder = () => this.folder(`models:${names.join(',')}`, () => buildModelsLayer(models));
    if (total > LAMBDA_UNZIPPED_LIMIT_BYTES) {
      const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
      const reason = `${names.join(', ')}: models ${mb(models.bytes)} + runtime ${mb(runtimeBytes)} + bundle allowance ${mb(BUNDLE_ALLOWANCE_BYTES)} = ${mb(total)}, over Lambda's ${mb(LAMBDA_UNZIPPED_LIMIT_BYTES)} unzipped`;
      return { kind: 'image', opt: [...runtimes, modelsFolder()], reason };
    }
    return {
      kind: 'layers',
      layers: [
        this.layer('OnnxRuntime', runtimes[0]!, { description: 'onnxruntime-node, linux-x64 binaries only', compatibleArchitectures: [LAMBDA_DEFAULTS.architecture] }),
        ...(runtimes[1] ? [this.layer('Tokenizers', runtimes[1], { description: 'tokenizers (Hugging Face), linux-x64-gnu binary only', compatibleArchitectures: [LAMBDA_DEFAULTS.architecture] })] : []),
        this.layer(id, modelsFolder(), { description: `Nerve models under ${LAMBDA_MODELS_DIR}: ${names.join(', ')}` }),
      ],
    };
  }

  /** Every layer made so far, by id. */
  get layerVersions(): ReadonlyMap<string, lambda.LayerVersion> {
    return this.layers;
  }

  private folder(key: string, build: () => string): OptFolder {
    let f = this.built.get(key);
    if (!f) {
      const dir = build();
      f = { dir, bytes: folderBytes(dir) };
      this.built.set(key, f);
    }
    return f;
  }

  private layer(id: string, folder: OptFolder, props: Pick<lambda.LayerVersionProps, 'description' | 'compatibleArchitectures'>): lambda.LayerVersion {
    let l = this.layers.get(id);
    if (!l) {
      l = new lambda.LayerVersion(this.scope, id, { code: lambda.Code.fromAsset(folder.dir), compatibleRuntimes: [LAMBDA_DEFAULTS.runtime], ...props });
      this.layers.set(id, l);
    }
    return l;
  }
}
