import { Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { QueryApi, type QueryApiProps } from '../../../lib/query-api.js';
import { bareStack, configErrorOf, constructDeps } from '../../helpers/synth.js';

function build(props: Partial<QueryApiProps> = {}, api = (stack: Stack) => new apigw.HttpApi(stack, 'Api', { defaultAuthorizer: new HttpIamAuthorizer() })) {
  const stack = bareStack();
  new QueryApi(stack, 'Query', { ...constructDeps(stack), api: api(stack), ...props });
  return Template.fromStack(stack);
}

const fn = (t: Template, description: string) => Object.entries(t.findResources('AWS::Lambda::Function', { Properties: { Description: description } }))[0]!;
const search = (t: Template) => fn(t, 'Nerve: POST /v1/search')[1].Properties;
const documents = (t: Template) => fn(t, 'Nerve: GET /v1/documents/{documentId}')[1].Properties;
/** The actions of a service (`dynamodb:`) a function's role is granted. */
function actionsOf(t: Template, description: string, prefix: string): string[] {
  const role = fn(t, description)[1].Properties.Role['Fn::GetAtt'][0];
  const policies = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes(role));
  const actions = policies.flatMap((p) => p.Properties.PolicyDocument.Statement.flatMap((st: { Action: string | string[] }) => [st.Action].flat()));
  return actions.filter((a: string) => a.startsWith(prefix)).sort();
}
const dynamoActions = (t: Template, description: string) => actionsOf(t, description, 'dynamodb:');
const secretActions = (t: Template, description: string) => actionsOf(t, description, 'secretsmanager:');

let template: Template;
beforeAll(() => {
  template = build();
});

describe('QueryApi defaults', () => {
  it('adds POST /v1/search and GET /v1/documents/{documentId}, which inherit the API\'s default authorizer', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /v1/search', AuthorizationType: 'AWS_IAM' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /v1/documents/{documentId}', AuthorizationType: 'AWS_IAM' });
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 2);
  });

  it('search: the small model from /opt/models on one intra-op thread, 1,769 MB, 10 s, both layers', () => {
    expect(search(template)).toMatchObject({ MemorySize: 1769, Timeout: 10, Runtime: 'nodejs22.x', Architectures: ['x86_64'] });
    expect(search(template).Layers).toHaveLength(2);
    expect(search(template).Environment.Variables).toEqual({
      NERVE_INDEX_TABLE: { Ref: expect.stringMatching(/^IndexTable/) },
      NERVE_MODEL: 'small',
      NERVE_MODELS_DIR: '/opt/models',
      NERVE_INTRA_OP_THREADS: '1',
      NERVE_CURSOR_SECRET_ARN: { Ref: expect.stringMatching(/^QueryCursorSecret/) },
      POWERTOOLS_SERVICE_NAME: 'nerve-search',
    });
  });

  it('cursor secret: generated (64 characters, no punctuation), one for every search instance, read by the search function only', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: { ExcludePunctuation: true, PasswordLength: 64 } });
    const secretId = Object.keys(template.findResources('AWS::SecretsManager::Secret'))[0]!;
    const readers = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.PolicyDocument).includes(`"Ref":"${secretId}"`))
      .flatMap((p) => p.Properties.Roles.map((r: { Ref: string }) => r.Ref));
    expect(readers).toEqual([search(template).Role['Fn::GetAtt'][0]]);
    expect(secretActions(template, 'Nerve: POST /v1/search')).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    expect(secretActions(template, 'Nerve: GET /v1/documents/{documentId}')).toEqual([]);
  });

  it('documents: 512 MB, 10 s, no layers, no model', () => {
    expect(documents(template)).toMatchObject({ MemorySize: 512, Timeout: 10 });
    expect(documents(template).Layers).toBeUndefined();
    expect(documents(template).Environment.Variables).toEqual({ NERVE_INDEX_TABLE: { Ref: expect.stringMatching(/^IndexTable/) }, POWERTOOLS_SERVICE_NAME: 'nerve-documents' });
  });

  it('both functions only read the index: the table and its byRank index', () => {
    const read = ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'];
    expect(dynamoActions(template, 'Nerve: POST /v1/search')).toEqual(read);
    expect(dynamoActions(template, 'Nerve: GET /v1/documents/{documentId}')).toEqual(read);
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).toMatch(/index\/byRank/);
    expect(policies).not.toMatch(/index\/\*/);
  });

  it('each function may be invoked by the API', () => {
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission', { Properties: { Principal: 'apigateway.amazonaws.com' } }));
    expect(permissions).toHaveLength(2);
  });
});

describe('QueryApi props', () => {
  it('model and memory sizes', () => {
    const t = build({ model: 'custom', memorySize: 3538, documentsMemorySize: 256 });
    expect(search(t)).toMatchObject({ MemorySize: 3538, Environment: { Variables: expect.objectContaining({ NERVE_MODEL: 'custom' }) } });
    expect(documents(t).MemorySize).toBe(256);
  });

  it('the routes follow the API\'s authorizer, whatever it is', () => {
    const t = build({}, (stack) => new apigw.HttpApi(stack, 'Api'));
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /v1/search', AuthorizationType: 'NONE' });
  });
});

describe('QueryApi validation', () => {
  it.each([
    [{ memorySize: 100 }, /memorySize must be an integer from 128 to 10240 MB, got 100/],
    [{ documentsMemorySize: 512.5 }, /documentsMemorySize must be an integer from 128 to 10240 MB, got 512.5/],
  ] as const)('%o throws ConfigError', (props, message) => {
    expect(configErrorOf(() => build(props)).message).toMatch(message);
  });

  it('reports every problem at once, naming the construct', () => {
    expect(configErrorOf(() => build({ memorySize: 0, documentsMemorySize: 0 })).message).toMatch(/^QueryApi Query: memorySize .*; documentsMemorySize /);
  });
});
