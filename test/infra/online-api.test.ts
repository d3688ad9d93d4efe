import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { folderBytes } from '../../layers/build.js';
import { synthNerve } from '../helpers/synth.js';

let synth: ReturnType<typeof synthNerve>;
let template: Template;
beforeAll(() => {
  synth = synthNerve();
  template = synth.template;
});

const LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024;
const onlineFunction = (t: Template) =>
  Object.values(t.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('POST /v1/entities') } }))[0]!;

describe('OnlineApi', () => {
  it('passes cdk-nag (AwsSolutions) with every acknowledgement reasoned', () => {
    // A finding fails synth outright; what is left are acknowledgements, each with its reason.
    const report = JSON.parse(readFileSync(join(synth.assembly.directory, 'validation-report.json'), 'utf8'));
    for (const plugin of report.pluginReports) {
      expect(plugin.violations, plugin.pluginName).toEqual([]);
      for (const s of plugin.suppressedViolations ?? []) expect(s.reason, s.ruleName).toMatch(/\w+ \w+ \w+/);
    }
  });

  it('runs the function on nodejs22.x, x86_64, with the onnxruntime and models layers', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['x86_64'],
      MemorySize: 1769,
      Environment: { Variables: Match.objectLike({ NERVE_MODEL: 'tiny-model', NERVE_MODELS_DIR: '/opt/models', NERVE_INTRA_OP_THREADS: '1', NERVE_LOG_TEXT: 'false' }) },
    });
    const fn = onlineFunction(template);
    expect(fn.Properties.Layers).toHaveLength(2);
    template.resourceCountIs('AWS::Lambda::LayerVersion', 3); // onnxruntime, online models, batch models
    template.hasResourceProperties('AWS::Lambda::LayerVersion', { CompatibleArchitectures: ['x86_64'], Description: Match.stringLikeRegexp('linux-x64') });
  });

  it('serves from the "live" alias with provisioned concurrency and auto scaling on utilization', () => {
    template.hasResourceProperties('AWS::Lambda::Alias', { Name: 'live', ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 1 } });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ScalableDimension: 'lambda:function:ProvisionedConcurrency',
      ServiceNamespace: 'lambda',
      MinCapacity: 1,
      MaxCapacity: 10,
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        TargetValue: 0.7,
        PredefinedMetricSpecification: { PredefinedMetricType: 'LambdaProvisionedConcurrencyUtilization' },
      }),
    });
  });

  it('routes POST /v1/entities to the alias, IAM-authorized by default', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /v1/entities', AuthorizationType: 'AWS_IAM' });
    const integrations = template.findResources('AWS::ApiGatewayV2::Integration');
    const uri = JSON.stringify(Object.values(integrations)[0]!.Properties.IntegrationUri);
    expect(uri).toMatch(/Live/); // the alias, not $LATEST
  });

  it('throttles the stage and writes access logs', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
  });

  it('outputs the API URL', () => {
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs).some((k) => /ApiUrl/.test(k))).toBe(true);
  });

  it('keeps each function plus its layers under Lambda\'s 250 MB unzipped limit, with the shipped models', () => {
    // The default app (models/small online, models/ensemble in batch), not the fixtures.
    const real = synthNerve({ 'nerve:modelsDir': undefined, 'nerve:model': undefined, 'nerve:batchModel': undefined });
    const resources = real.template.toJSON().Resources as Record<string, any>;
    const manifest = JSON.parse(readFileSync(join(real.assembly.directory, 'Nerve.assets.json'), 'utf8'));
    const sizes: Record<string, number> = {};
    for (const [id, fn] of Object.entries(real.template.findResources('AWS::Lambda::Function'))) {
      if (!fn.Properties.Layers) continue;
      const keys = [fn.Properties.Code.S3Key, ...fn.Properties.Layers.map((l: { Ref: string }) => resources[l.Ref].Properties.Content.S3Key)];
      const dirs = keys.map((k: string) => join(real.assembly.directory, manifest.files[k.replace(/\.zip$/, '')].source.path));
      sizes[id] = dirs.reduce((sum: number, d: string) => sum + folderBytes(d), 0);
    }
    expect(Object.keys(sizes).length).toBe(3); // the online, search and batch functions carry ORT
    for (const [id, bytes] of Object.entries(sizes)) {
      expect(bytes, id).toBeLessThan(LAMBDA_UNZIPPED_LIMIT);
      expect(bytes, id).toBeGreaterThan(50 * 1024 * 1024); // the ORT binary and a real model really are in there
    }
  }, 120_000);

  it('takes throttling, concurrency and CORS from context', () => {
    const t = synthNerve({
      'nerve:throttleRate': 50,
      'nerve:throttleBurst': 80,
      'nerve:provisionedConcurrency': 2,
      'nerve:maxProvisionedConcurrency': 4,
      'nerve:corsOrigins': 'https://app.example.com',
    }).template;
    t.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 80 } });
    t.hasResourceProperties('AWS::Lambda::Alias', { ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 } });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 4 });
    t.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://app.example.com'] }) });
  });

  it('supports a JWT authorizer', () => {
    const t = synthNerve({ 'nerve:auth': 'jwt', 'nerve:jwtIssuer': 'https://issuer.example.com', 'nerve:jwtAudience': 'nerve-api' }).template;
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /v1/entities', AuthorizationType: 'JWT' });
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerType: 'JWT', JwtConfiguration: { Issuer: 'https://issuer.example.com', Audience: ['nerve-api'] } });
  });

  it('opens the API only when context says so explicitly', () => {
    expect(() => synthNerve({ 'nerve:auth': 'none' })).toThrow(/set allowOpenApi/);
    const t = synthNerve({ 'nerve:auth': 'none', 'nerve:allowOpenApi': 'true' }).template;
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /v1/entities', AuthorizationType: 'NONE' });
  });

  it('reports every conflicting prop at once', () => {
    const attempt = () => synthNerve({ 'nerve:provisionedConcurrency': 0, 'nerve:maxProvisionedConcurrency': -1, 'nerve:auth': 'jwt' });
    expect(attempt).toThrow(/provisionedConcurrency must be an integer ≥ 1/);
    expect(attempt).toThrow(/maxProvisionedConcurrency must be an integer/);
    expect(attempt).toThrow(/JWT authorizer needs an issuer/);
  });
});
