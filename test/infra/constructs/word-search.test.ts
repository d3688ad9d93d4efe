/**
 * The full-text engine (lib/word-search.ts): the OpenSearch Serverless collection, its
 * three policies, the IAM grants and the variables its consumers get, in the whole app
 * (cdk-nag included: a finding fails the synth), with GPU workers (a VPC endpoint), without
 * them, and with `nerve:wordSearch=none`; and the construct alone for its names and props.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp, FEATURE_FLAGS } from '../../../bin/app.js';
import { aossName, AOSS_NAME, WORD_SEARCH_DEFAULTS, WordSearch, WORDS_READ_PERMISSIONS, WORDS_WRITE_PERMISSIONS } from '../../../lib/word-search.js';
import { bareStack, configErrorOf, NO_BUNDLING } from '../../helpers/synth.js';
import { synthOnce } from '../assemblies.js';

const WORDS_VARIABLES = ['NERVE_WORDS_ENDPOINT', 'NERVE_WORDS_INDEX', 'NERVE_WORDS_SIGNING'];
const AOSS = 'AWS::OpenSearchServerless::';

type Resources = Record<string, { Type: string; Properties: Record<string, any>; DependsOn?: string[] }>;
const resourcesOf = (t: Template) => t.toJSON().Resources as Resources;
/** The one resource of a type (its logical id and body); fails when there is not exactly one. */
function only(t: Template, type: string, properties?: Record<string, unknown>): [string, Resources[string]] {
  const found = Object.entries(t.findResources(type, properties ? { Properties: properties } : undefined)) as Array<[string, Resources[string]]>;
  expect(found, type).toHaveLength(1);
  return found[0]!;
}
/** A policy document CloudFormation joins from strings and references, parsed: a reference becomes "@LogicalId.Attribute" (or "@LogicalId" for a Ref). */
function policyOf(value: unknown): any {
  if (typeof value === 'string') return JSON.parse(value);
  const parts = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  const text = parts
    .map((p) => {
      if (typeof p === 'string') return p;
      const ref = p as { 'Fn::GetAtt'?: [string, string]; Ref?: string };
      if (ref['Fn::GetAtt']) return `@${ref['Fn::GetAtt'].join('.')}`;
      if (ref.Ref) return `@${ref.Ref}`;
      throw new Error(`unexpected token ${JSON.stringify(p)}`);
    })
    .join('');
  return JSON.parse(text);
}
const functionNamed = (t: Template, description: RegExp) => only(t, 'AWS::Lambda::Function', { Description: Match.stringLikeRegexp(description.source) })[1].Properties;
const roleOf = (fn: Record<string, any>): string => fn.Role['Fn::GetAtt'][0];
const batchRole = (t: Template) => roleOf(functionNamed(t, /^Nerve batch NER/));
const searchRole = (t: Template) => roleOf(functionNamed(t, /POST \/v1\/search/));
const taskDefinition = (t: Template) => only(t, 'AWS::ECS::TaskDefinition')[1].Properties;
const taskRole = (t: Template): string => taskDefinition(t).TaskRoleArn['Fn::GetAtt'][0];
const containerEnv = (t: Template) => Object.fromEntries(taskDefinition(t).ContainerDefinitions[0].Environment.map((e: { Name: string; Value: unknown }) => [e.Name, e.Value]));
/** Every IAM statement that names an aoss: action, with the roles its policy is attached to. */
function aossStatements(t: Template): Array<{ roles: string[]; Action: unknown; Resource: unknown; Effect: string }> {
  return Object.values(t.findResources('AWS::IAM::Policy')).flatMap((p) =>
    p.Properties.PolicyDocument.Statement.filter((s: { Action: string | string[] }) => [s.Action].flat().some((a) => a.startsWith('aoss:'))).map((s: Record<string, unknown>) => ({
      roles: p.Properties.Roles.map((r: { Ref: string }) => r.Ref),
      Action: s.Action,
      Resource: s.Resource,
      Effect: s.Effect as string,
    })),
  );
}

let gpu: ReturnType<typeof synthOnce>; // the default app: GPU workers, standby replicas
let noGpu: ReturnType<typeof synthOnce>; // no GPU workers, no standby replicas
let none: ReturnType<typeof synthOnce>; // nerve:wordSearch=none
beforeAll(() => {
  gpu = synthOnce(NO_BUNDLING);
  noGpu = synthOnce({ ...NO_BUNDLING, 'nerve:gpuWorkers': 'false', 'nerve:wordSearchStandby': 'false' });
  none = synthOnce({ ...NO_BUNDLING, 'nerve:wordSearch': 'none' });
});

describe('the collection and its policies, in the app', () => {
  it('one collection of type SEARCH, standby replicas on by default, named within AOSS\'s rule', () => {
    const [, collection] = only(gpu.template, `${AOSS}Collection`);
    expect(collection.Properties).toMatchObject({ Type: 'SEARCH', StandbyReplicas: 'ENABLED' });
    expect(collection.Properties.Name).toMatch(AOSS_NAME);
    expect(collection.Properties.Name).toBe(gpu.stack.words!.collectionName);
  });

  it('an encryption policy with an AWS owned key, for exactly this collection', () => {
    const name = gpu.stack.words!.collectionName;
    const [, policy] = only(gpu.template, `${AOSS}SecurityPolicy`, { Type: 'encryption' });
    expect(policy.Properties.Name).toMatch(AOSS_NAME);
    expect(policyOf(policy.Properties.Policy)).toEqual({ Rules: [{ ResourceType: 'collection', Resource: [`collection/${name}`] }], AWSOwnedKey: true });
  });

  it('the collection depends on its encryption, network and data access policies, so they exist first', () => {
    const [, collection] = only(gpu.template, `${AOSS}Collection`);
    const ids = (type: string, kind?: string) => only(gpu.template, `${AOSS}${type}`, kind ? { Type: kind } : undefined)[0];
    expect(collection.DependsOn).toEqual(expect.arrayContaining([ids('SecurityPolicy', 'encryption'), ids('SecurityPolicy', 'network'), ids('AccessPolicy', 'data')]));
  });

  it('the data access policy: the batch function\'s and the GPU task\'s roles write, the search function\'s role reads, on this collection\'s indexes only', () => {
    const name = gpu.stack.words!.collectionName;
    const [, access] = only(gpu.template, `${AOSS}AccessPolicy`, { Type: 'data' });
    expect(access.Properties.Name).toMatch(AOSS_NAME);
    const rules = policyOf(access.Properties.Policy).map((r: Record<string, any>) => ({ Rules: r.Rules, Principal: [...r.Principal].sort() }));
    const index = { ResourceType: 'index', Resource: [`index/${name}/*`] };
    expect(rules).toEqual([
      { Rules: [{ ...index, Permission: ['aoss:CreateIndex', 'aoss:DescribeIndex', 'aoss:UpdateIndex', 'aoss:ReadDocument', 'aoss:WriteDocument'] }], Principal: [`@${batchRole(gpu.template)}.Arn`, `@${taskRole(gpu.template)}.Arn`].sort() },
      { Rules: [{ ...index, Permission: ['aoss:DescribeIndex', 'aoss:ReadDocument'] }], Principal: [`@${searchRole(gpu.template)}.Arn`] },
    ]);
    expect([...WORDS_WRITE_PERMISSIONS, ...WORDS_READ_PERMISSIONS]).not.toContain('aoss:*');
  });

  it('the network policy: the collection endpoint only (no dashboards), public for the functions, and the GPU workers\' VPC endpoint in a rule of its own', () => {
    const name = gpu.stack.words!.collectionName;
    const [endpointId, endpoint] = only(gpu.template, `${AOSS}VpcEndpoint`);
    const [, network] = only(gpu.template, `${AOSS}SecurityPolicy`, { Type: 'network' });
    expect(network.Properties.Name).toMatch(AOSS_NAME);
    const collection = [{ ResourceType: 'collection', Resource: [`collection/${name}`] }];
    expect(policyOf(network.Properties.Policy).map(({ Description: _, ...rule }: Record<string, unknown>) => rule)).toEqual([
      // With AllowFromPublic true a rule's SourceVPCEs are ignored: the endpoint has a rule of its own.
      { Rules: collection, AllowFromPublic: false, SourceVPCEs: [`@${endpointId}.Id`] },
      { Rules: collection, AllowFromPublic: true },
    ]);
    // The endpoint: in the GPU workers' isolated subnets, HTTPS from their tasks' security group only.
    const subnets = Object.keys(gpu.template.findResources('AWS::EC2::Subnet')).sort();
    expect(endpoint.Properties.SubnetIds.map((s: { Ref: string }) => s.Ref).sort()).toEqual(subnets);
    expect(endpoint.Properties.VpcId).toEqual({ Ref: expect.stringMatching(/^GpuWorkersVpc/) });
    expect(endpoint.Properties.Name).toMatch(AOSS_NAME);
    const groupId: string = endpoint.Properties.SecurityGroupIds[0]['Fn::GetAtt'][0];
    const tasks: string = only(gpu.template, 'AWS::ECS::Service')[1].Properties.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups[0]['Fn::GetAtt'][0];
    const ingress = Object.values(gpu.template.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties).filter((r) => r.GroupId['Fn::GetAtt'][0] === groupId);
    expect(ingress).toEqual([expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, SourceSecurityGroupId: { 'Fn::GetAtt': [tasks, 'GroupId'] } })]);
    expect(resourcesOf(gpu.template)[groupId]!.Properties.SecurityGroupIngress).toBeUndefined();
  });

  it('without GPU workers: no VPC endpoint, the network policy\'s public rule only, the batch function the only writer; nerve:wordSearchStandby=false turns standby off under other names', () => {
    noGpu.template.resourceCountIs(`${AOSS}VpcEndpoint`, 0);
    const [, network] = only(noGpu.template, `${AOSS}SecurityPolicy`, { Type: 'network' });
    expect(policyOf(network.Properties.Policy)).toEqual([expect.objectContaining({ AllowFromPublic: true })]);
    expect(JSON.stringify(network.Properties.Policy)).not.toMatch(/SourceVPCEs/);
    const [, access] = only(noGpu.template, `${AOSS}AccessPolicy`);
    expect(policyOf(access.Properties.Policy).map((r: { Principal: string[] }) => r.Principal)).toEqual([[`@${batchRole(noGpu.template)}.Arn`], [`@${searchRole(noGpu.template)}.Arn`]]);
    const [, collection] = only(noGpu.template, `${AOSS}Collection`);
    expect(collection.Properties.StandbyReplicas).toBe('DISABLED');
    // The setting cannot change on a collection: another setting is another collection, with its own policies.
    expect(collection.Properties.Name).not.toBe(gpu.stack.words!.collectionName);
  });
});

describe('IAM and the consumers, in the app', () => {
  it('aoss:APIAccessAll on the collection\'s ARN only, for exactly the batch function\'s, the GPU task\'s and the search function\'s roles', () => {
    const [collectionId] = only(gpu.template, `${AOSS}Collection`);
    const statements = aossStatements(gpu.template);
    for (const s of statements) expect(s).toMatchObject({ Effect: 'Allow', Action: 'aoss:APIAccessAll', Resource: { 'Fn::GetAtt': [collectionId, 'Arn'] } });
    expect(statements.flatMap((s) => s.roles).sort()).toEqual([batchRole(gpu.template), taskRole(gpu.template), searchRole(gpu.template)].sort());
    expect(aossStatements(noGpu.template).flatMap((s) => s.roles).sort()).toEqual([batchRole(noGpu.template), searchRole(noGpu.template)].sort());
  });

  it('the batch function, the GPU task\'s container and the search function get the endpoint, the index and the signing; no other function does', () => {
    const [collectionId] = only(gpu.template, `${AOSS}Collection`);
    const expected = {
      NERVE_WORDS_ENDPOINT: { 'Fn::GetAtt': [collectionId, 'CollectionEndpoint'] },
      NERVE_WORDS_INDEX: WORD_SEARCH_DEFAULTS.index,
      NERVE_WORDS_SIGNING: 'aoss',
    };
    expect(WORD_SEARCH_DEFAULTS.index).toBe('nerve-words');
    expect(functionNamed(gpu.template, /^Nerve batch NER/).Environment.Variables).toMatchObject(expected);
    expect(functionNamed(gpu.template, /POST \/v1\/search/).Environment.Variables).toMatchObject(expected);
    expect(containerEnv(gpu.template)).toMatchObject(expected);
    for (const other of [/POST \/v1\/entities/, /GET \/v1\/documents/]) {
      for (const name of WORDS_VARIABLES) expect(functionNamed(gpu.template, other).Environment.Variables, `${other} ${name}`).not.toHaveProperty(name);
    }
  });

  it('passes cdk-nag (AwsSolutions): no finding on the collection, its policies or the VPC endpoint', () => {
    // A finding fails synth outright (beforeAll); the report of a clean synth lists none.
    for (const synth of [gpu, noGpu]) {
      const report = JSON.parse(readFileSync(join(synth.assembly.directory, 'validation-report.json'), 'utf8'));
      for (const plugin of report.pluginReports) expect(plugin.violations, plugin.pluginName).toEqual([]);
    }
  });
});

describe('nerve:wordSearch=none', () => {
  it('no OpenSearch Serverless resource, no aoss: permission, none of the three variables anywhere', () => {
    const types = Object.values(resourcesOf(none.template)).map((r) => r.Type);
    expect(types.filter((t) => t.startsWith(AOSS))).toEqual([]);
    expect(types).toContain('AWS::ECS::TaskDefinition'); // the GPU workers are still there
    expect(aossStatements(none.template)).toEqual([]);
    const template = JSON.stringify(none.template.toJSON());
    for (const name of WORDS_VARIABLES) expect(template, name).not.toContain(name);
    expect(none.stack.words).toBeUndefined();
    // ...while the default app has all three on its consumers (the same check, the other way).
    expect(JSON.stringify(gpu.template.toJSON()).match(/NERVE_WORDS_ENDPOINT/g)).toHaveLength(3);
  });

  it('another value of nerve:wordSearch or nerve:wordSearchStandby is a ConfigError that names the choices', () => {
    expect(configErrorOf(() => createApp({ 'nerve:wordSearch': 'elasticsearch' })).message).toMatch(/nerve:wordSearch must be opensearch or none, got "elasticsearch"/);
    expect(configErrorOf(() => createApp({ 'nerve:wordSearchStandby': 'off' })).message).toMatch(/nerve:wordSearchStandby must be true or false, got "off"/);
  });
});

describe('WordSearch alone', () => {
  function build(props: ConstructorParameters<typeof WordSearch>[2] = {}, stack: Stack = bareStack()) {
    const words = new WordSearch(stack, 'Words', props);
    words.grantWrite(new iam.Role(stack, 'Writer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }));
    return { words, template: Template.fromStack(stack) };
  }

  it('standbyReplicas: false disables them', () => {
    expect(only(build().template, `${AOSS}Collection`)[1].Properties.StandbyReplicas).toBe('ENABLED');
    expect(only(build({ standbyReplicas: false }).template, `${AOSS}Collection`)[1].Properties.StandbyReplicas).toBe('DISABLED');
  });

  it('a data access policy needs a principal: with no reader or writer the synth fails', () => {
    const stack = bareStack();
    new WordSearch(stack, 'Words');
    expect(() => Template.fromStack(stack)).toThrow(/no reader or writer/);
  });

  it('one VPC endpoint only', () => {
    const stack = bareStack();
    const { words } = build({}, stack);
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0 });
    const peer = new ec2.SecurityGroup(stack, 'Peer', { vpc });
    words.allowFromVpc(vpc, vpc.selectSubnets(), peer);
    expect(() => words.allowFromVpc(vpc, vpc.selectSubnets(), peer)).toThrow(/one VPC endpoint only/);
  });

  it('names follow the stack: the same on every synth, within AOSS\'s rule, and different for another stack, another case or another setting', () => {
    const named = (stackName: string) => {
      const app = new App({ context: { ...FEATURE_FLAGS, ...NO_BUNDLING } });
      return build({}, new Stack(app, 'S', { stackName })).words.collectionName;
    };
    expect(named('Nerve')).toBe(named('Nerve'));
    expect(named('Nerve')).toMatch(/^nerve-[0-9a-f]{8}$/);
    expect(named('Nerve-dev')).toMatch(/^nerve-dev-[0-9a-f]{8}$/);
    expect(new Set([named('Nerve'), named('nerve'), named('Nerve-dev'), named('Nerve-prod')]).size).toBe(4);
    const long = 'A'.repeat(100);
    expect(new Set([named(`${long}1`), named(`${long}2`)]).size).toBe(2);
    for (const stackName of ['Nerve', `${long}1`, 'N', 'X--9-', 'Nerve-dev-with-a-rather-long-stage-name']) {
      for (const kind of ['', 'enc', 'net', 'acc', 'vpc']) expect(aossName(stackName, 'S/Words', kind)).toMatch(AOSS_NAME);
    }
    expect(aossName('Nerve', 'S/Words', 'enc', ['standby=true'])).not.toBe(aossName('Nerve', 'S/Words', 'enc', ['standby=false']));
  });
});
