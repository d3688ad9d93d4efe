/**
 * The Nerve stack: composes one construct per capability. Settings come from props,
 * which bin/app.ts fills from CDK context (see the README's "Deploying").
 */
import { Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { buildModelsLayer, buildOnnxRuntimeLayer } from '../layers/build.js';
import { EntityIndex } from './entity-index.js';
import { GpuWorkers, type GpuWorkersProps } from './gpu-workers.js';
import { IngestPipeline, type IngestPipelineProps } from './ingest-pipeline.js';
import { OnlineApi, type OnlineApiProps } from './online-api.js';
import { LAMBDA_DEFAULTS, repoPath } from './shared.js';

export interface NerveStackProps extends StackProps {
  /** Options of the online API (auth, throttling, CORS, concurrency). */
  readonly online?: Omit<OnlineApiProps, 'onnxRuntimeLayer' | 'modelsLayer' | 'index'>;
  /** Options of the batch path (model, concurrency, GPU threshold). */
  readonly ingest?: Omit<IngestPipelineProps, 'table' | 'onnxRuntimeLayer' | 'modelsLayer'>;
  /** GPU workers on ECS; `false` leaves them out. @default {} (enabled, scaled to zero) */
  readonly gpuWorkers?: Omit<GpuWorkersProps, 'table' | 'bucket' | 'queue' | 'overflowQueue'> | false;
  /** Folder holding the model folders to ship (your own models, too). @default the repository's models/ */
  readonly modelsDir?: string;
}

export class NerveStack extends Stack {
  public readonly online: OnlineApi;
  public readonly onnxRuntimeLayer: lambda.LayerVersion;
  public readonly modelsLayer: lambda.LayerVersion;
  public readonly batchModelsLayer: lambda.LayerVersion;
  public readonly index: EntityIndex;
  public readonly ingest: IngestPipeline;
  /** Present unless `gpuWorkers: false`. */
  public readonly gpuWorkers?: GpuWorkers;

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
    const batchModel = props.ingest?.model ?? 'ensemble';
    this.batchModelsLayer = new lambda.LayerVersion(this, 'BatchModels', {
      code: lambda.Code.fromAsset(buildModelsLayer(props.modelsDir ?? repoPath('models'), [batchModel], 'batch-models')),
      compatibleRuntimes: [LAMBDA_DEFAULTS.runtime],
      description: `Nerve models under /opt/models: ${batchModel}`,
    });
    this.index = new EntityIndex(this, 'Index');
    this.online = new OnlineApi(this, 'Online', { ...props.online, onnxRuntimeLayer: this.onnxRuntimeLayer, modelsLayer: this.modelsLayer, index: this.index.table });
    // CDK's own bucket-notifications custom resource uses the basic execution role.
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'Only CDK\'s BucketNotificationsHandler (a deploy-time custom resource) uses the managed basic execution role; Nerve\'s functions have their own scoped roles.',
    });
    this.ingest = new IngestPipeline(this, 'Ingest', { ...props.ingest, table: this.index.table, onnxRuntimeLayer: this.onnxRuntimeLayer, modelsLayer: this.batchModelsLayer });
    if (props.gpuWorkers !== false) {
      this.gpuWorkers = new GpuWorkers(this, 'GpuWorkers', {
        ...props.gpuWorkers,
        model: batchModel,
        table: this.index.table,
        bucket: this.ingest.bucket,
        queue: this.ingest.gpuQueue,
        overflowQueue: this.ingest.queue,
      });
    }
  }
}
