/**
 * The HTTP API in the whole app (cdk-nag included): what only a full synth shows, and
 * the context values bin/app.ts turns into props. OnlineApi's and QueryApi's own
 * defaults are tested alone in constructs/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { folderBytes } from '../../layers/build.js';
import { configErrorOf, NO_BUNDLING, synthNerve } from '../helpers/synth.js';
import { synthOnce } from './assemblies.js';

let synth: ReturnType<typeof synthNerve>;
let template: Template;
beforeAll(() => {
  synth = synthOnce(NO_BUNDLING);
  template = synth.template;
});

const LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024;
const functionNamed = (t: Template, description: RegExp) =>
  Object.values(t.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp(description.source) } }))[0]!;

describe('the HTTP API in the app', () => {
  it('passes cdk-nag (AwsSolutions) with every acknowledgement reasoned', () => {
    // A finding fails synth outright; what is left are acknowledgements, each with its reason.
    const report = JSON.parse(readFileSync(join(synth.assembly.directory, 'validation-report.json'), 'utf8'));
    for (const plugin of report.pluginReports) {
      expect(plugin.violations, plugin.pluginName).toEqual([]);
      for (const s of plugin.suppressedViolations ?? []) expect(s.reason, s.ruleName).toMatch(/\w+ \w+ \w+/);
    }
  });

  it('builds three layers: onnxruntime (linux-x64, x86_64), the online models, the batch models', () => {
    template.resourceCountIs('AWS::Lambda::LayerVersion', 3);
    template.hasResourceProperties('AWS::Lambda::LayerVersion', { CompatibleArchitectures: ['x86_64'], Description: Match.stringLikeRegexp('linux-x64') });
    template.hasResourceProperties('AWS::Lambda::LayerVersion', { Description: 'Nerve models under /opt/models: tiny-model' });
  });

  it('online and search run the model named in context, from the same layers', () => {
    const online = functionNamed(template, /POST \/v1\/entities/).Properties;
    const search = functionNamed(template, /POST \/v1\/search/).Properties;
    expect(online.Environment.Variables.NERVE_MODEL).toBe('tiny-model');
    expect(search.Environment.Variables.NERVE_MODEL).toBe('tiny-model');
    expect(search.Layers).toEqual(online.Layers);
    expect(search.MemorySize).toBe(online.MemorySize);
  });

  it('every route is on the one API, behind its IAM authorizer', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => [r.Properties.RouteKey, r.Properties.AuthorizationType, JSON.stringify(r.Properties.ApiId)]);
    expect(routes.map(([key, auth]) => [key, auth]).sort()).toEqual([
      ['GET /v1/documents/{documentId}', 'AWS_IAM'],
      ['POST /v1/entities', 'AWS_IAM'],
      ['POST /v1/search', 'AWS_IAM'],
    ]);
    expect(new Set(routes.map(([, , api]) => api)).size).toBe(1);
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
  });

  it('search and documents read the entity index of the stack', () => {
    for (const fn of [functionNamed(template, /POST \/v1\/search/), functionNamed(template, /GET \/v1\/documents/)]) {
      expect(JSON.stringify(fn.Properties.Environment.Variables.NERVE_INDEX_TABLE)).toMatch(/IndexTable/);
    }
  });

  it('keeps each function plus its layers under Lambda\'s 250 MB unzipped limit, with the shipped models', () => {
    // The default app (models/small online, models/ensemble in batch), not the fixtures.
    const real = synthOnce({ 'nerve:modelsDir': undefined, 'nerve:model': undefined, 'nerve:batchModel': undefined });
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
    const t = synthOnce({
      ...NO_BUNDLING,
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
    // A browser call signed with SigV4 (auth iam) sends these; a preflight that omits one fails the call.
    const cors = Object.values(t.findResources('AWS::ApiGatewayV2::Api'))[0]!.Properties.CorsConfiguration;
    expect([...cors.AllowHeaders].sort()).toEqual(['authorization', 'content-type', 'x-amz-content-sha256', 'x-amz-date', 'x-amz-security-token']);
    expect(cors.AllowMethods).toEqual(['GET', 'POST']);
  });

  it('a JWT authorizer from context covers every route', () => {
    const t = synthOnce({ ...NO_BUNDLING, 'nerve:auth': 'jwt', 'nerve:jwtIssuer': 'https://issuer.example.com', 'nerve:jwtAudience': 'nerve-api' }).template;
    for (const key of ['POST /v1/entities', 'POST /v1/search', 'GET /v1/documents/{documentId}']) t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: key, AuthorizationType: 'JWT' });
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerType: 'JWT', JwtConfiguration: { Issuer: 'https://issuer.example.com', Audience: ['nerve-api'] } });
  });

  it('opens the API only when context says so explicitly', () => {
    expect(configErrorOf(() => synthNerve({ ...NO_BUNDLING, 'nerve:auth': 'none' })).message).toMatch(/set allowOpenApi/);
    const t = synthOnce({ ...NO_BUNDLING, 'nerve:auth': 'none', 'nerve:allowOpenApi': 'true' }).template;
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /v1/entities', AuthorizationType: 'NONE' });
  });

  it('reports every conflicting context value at once, as a ConfigError', () => {
    const error = configErrorOf(() => synthNerve({ ...NO_BUNDLING, 'nerve:provisionedConcurrency': 0, 'nerve:maxProvisionedConcurrency': -1, 'nerve:auth': 'jwt' }));
    expect(error.message).toMatch(/provisionedConcurrency must be an integer ≥ 1/);
    expect(error.message).toMatch(/maxProvisionedConcurrency must be an integer/);
    expect(error.message).toMatch(/JWT authorizer needs an issuer/);
    expect(configErrorOf(() => synthNerve({ ...NO_BUNDLING, 'nerve:auth': 'cognito' })).message).toMatch(/nerve:auth must be iam, jwt or none, got "cognito"/);
  });
});
