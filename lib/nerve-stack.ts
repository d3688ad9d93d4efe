/**
 * The Nerve stack: composes one construct per capability. Settings come from props,
 * which bin/app.ts fills from CDK context (see the README's "Deploying").
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { buildModelsLayer, buildOnnxRuntimeLayer } from '../layers/build.js';
import { OnlineApi, type OnlineApiProps } from './online-api.js';
import { LAMBDA_DEFAULTS, repoPath } from './shared.js';

export interface NerveStackProps extends StackProps {
  /** Options of the online API (auth, throttling, CORS, concurrency). */
  readonly online?: Omit<OnlineApiProps, 'onnxRuntimeLayer' | 'modelsLayer'>;
  /** Folder holding the model folders to ship (your own models, too). @default the repository's models/ */
  readonly modelsDir?: string;
}

export class NerveStack extends Stack {
  public readonly online: OnlineApi;
  public readonly onnxRuntimeLayer: lambda.LayerVersion;
  public readonly modelsLayer: lambda.LayerVersion;

  constructor(scope: Construct, id: string, props: NerveStackProps = {}) {
    super(scope, id, props);
    const model = props.online?.model ?? 'small';
    this.onnxRuntimeLayer = new lambda.LayerVersion(this, 'OnnxRuntime', {
      code: lambda.Code.fromAsset(buildOnnxRuntimeLayer()),
      compatibleRuntimes: [LAMBDA_DEFAULTS.runtime],
      compatibleArchitectures: [LAMBDA_DEFAULTS.architecture],
      description: 'onnxruntime-node, linux-x64 binaries only',
    });
    this.modelsLayer = new lambda.LayerVersion(this, 'Models', {
      code: lambda.Code.fromAsset(buildModelsLayer(props.modelsDir ?? repoPath('models'), [model])),
      compatibleRuntimes: [LAMBDA_DEFAULTS.runtime],
      description: `Nerve models under /opt/models: ${model}`,
    });
    this.online = new OnlineApi(this, 'Online', { ...props.online, onnxRuntimeLayer: this.onnxRuntimeLayer, modelsLayer: this.modelsLayer });
  }
}
