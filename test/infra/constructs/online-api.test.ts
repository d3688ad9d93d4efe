import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { OnlineApi, type OnlineApiProps } from '../../../lib/online-api.js';
import { bareStack, configErrorOf, testModelCode } from '../../helpers/synth.js';

function build(props: Partial<OnlineApiProps> = {}) {
  const stack = bareStack();
  new OnlineApi(stack, 'Online', { modelCode: testModelCode(stack), ...props });
  return Template.fromStack(stack);
}

const onlineFunction = (t: Template) => Object.values(t.findResources('AWS::Lambda::Function'))[0]!;

let template: Template;
beforeAll(() => {
  template = build();
});

describe('OnlineApi defaults', () => {
  it('one function: nodejs22.x on x86_64, 1,769 MB (one vCPU), 10 s, both layers', () => {
    template.resourceCountIs('AWS::Lambda::Function', 1);
    expect(onlineFunction(template).Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['x86_64'], MemorySize: 1769, Timeout: 10 });
    expect(onlineFunction(template).Properties.Layers).toHaveLength(2);
  });

  it('runs the small model from /opt/models on one intra-op thread, texts up to 10,000 characters, text not logged', () => {
    expect(onlineFunction(template).Properties.Environment.Variables).toEqual({
      NERVE_MODEL: 'small',
      NERVE_MODELS_DIR: '/opt/models',
      NERVE_INTRA_OP_THREADS: '1',
      NERVE_MAX_TEXT_CHARS: '10000',
      NERVE_LOG_TEXT: 'false',
      POWERTOOLS_SERVICE_NAME: 'nerve-online',
      POWERTOOLS_METRICS_NAMESPACE: 'Nerve',
    });
  });

  it('online alias has provisioned concurrency 1', () => {
    template.hasResourceProperties('AWS::Lambda::Alias', { Name: 'live', ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 1 } });
  });

  it('auto scaling from 1 to 10 on 70% utilization', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { ScalableDimension: 'lambda:function:ProvisionedConcurrency', MinCapacity: 1, MaxCapacity: 10 });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 0.7, PredefinedMetricSpecification: { PredefinedMetricType: 'LambdaProvisionedConcurrencyUtilization' } }),
    });
  });

  it('IAM auth by default', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /v1/entities', AuthorizationType: 'AWS_IAM' });
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
  });

  it('POST /v1/entities goes to the alias, not $LATEST', () => {
    const uri = JSON.stringify(Object.values(template.findResources('AWS::ApiGatewayV2::Integration'))[0]!.Properties.IntegrationUri);
    expect(uri).toMatch(/OnlineLive/);
  });

  it('stage throttled at 100 requests/s, burst 200, with access logs', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
  });

  it('no CORS', () => {
    expect(Object.values(template.findResources('AWS::ApiGatewayV2::Api'))[0]!.Properties.CorsConfiguration).toBeUndefined();
  });

  it('logs kept a month', () => {
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('outputs the API URL', () => {
    expect(Object.keys(template.findOutputs('*')).some((k) => /ApiUrl/.test(k))).toBe(true);
  });
});

describe('OnlineApi props', () => {
  it('jwt auth adds a JWT authorizer', () => {
    const t = build({ auth: { kind: 'jwt', issuer: 'https://issuer.example.com', audience: ['nerve-api'] } });
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerType: 'JWT', JwtConfiguration: { Issuer: 'https://issuer.example.com', Audience: ['nerve-api'] } });
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /v1/entities', AuthorizationType: 'JWT' });
  });

  it('auth none with allowOpenApi opens the route', () => {
    build({ auth: { kind: 'none' }, allowOpenApi: true }).hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /v1/entities', AuthorizationType: 'NONE' });
  });
});

describe('OnlineApi validation', () => {
  it.each([
    [{ auth: { kind: 'none' } }, /auth "none" makes the API open to anyone: set allowOpenApi/],
    [{ auth: { kind: 'jwt', issuer: '', audience: [] } }, /a JWT authorizer needs an issuer and at least one audience/],
    [{ provisionedConcurrency: 0 }, /provisionedConcurrency must be an integer ≥ 1, got 0/],
    [{ maxProvisionedConcurrency: 0 }, /maxProvisionedConcurrency must be an integer ≥ provisionedConcurrency \(1\), got 0/],
    [{ utilizationTarget: 1 }, /utilizationTarget must be between 0 and 1, got 1/],
    [{ throttleRateLimit: 0 }, /throttling needs a positive rate and burst, got 0\/200/],
    [{ throttleBurstLimit: 0.5 }, /throttling needs a positive rate and burst, got 100\/0.5/],
    [{ memorySize: 20_000 }, /memorySize must be an integer from 128 to 10240 MB, got 20000/],
  ] as const)('%o throws ConfigError', (props, message) => {
    expect(configErrorOf(() => build(props as Partial<OnlineApiProps>)).message).toMatch(message);
  });

  it('reports every problem at once, naming the construct', () => {
    const error = configErrorOf(() => build({ provisionedConcurrency: 0, maxProvisionedConcurrency: -1, auth: { kind: 'jwt', issuer: '', audience: [] } }));
    expect(error.message).toMatch(/^OnlineApi Online: /);
    expect(error.details.problems).toHaveLength(3);
  });
});
