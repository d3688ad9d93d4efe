/**
 * What a first deploy gives its user and its operator, in the whole app (cdk-nag included):
 * the outputs the first commands need, the stage and stack name from context, active
 * tracing, the dashboard and alarms over the metrics the code emits, and exactly the
 * resources the README says `cdk destroy` leaves behind.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../bin/app.js';
import { configErrorOf, NO_BUNDLING, synthNerve } from '../helpers/synth.js';
import { removeAfterAll, synthOnce } from './assemblies.js';
import { fixtures, repoRoot } from '../helpers/paths.js';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:nerve-alarms';
let template: Template;
let stageTemplate: Template;
let stageStack: ReturnType<typeof synthNerve>['stack'];
beforeAll(() => {
  template = synthOnce(NO_BUNDLING).template;
  const staged = synthOnce({ ...NO_BUNDLING, 'nerve:stage': 'dev', 'nerve:gpuWorkers': 'false', 'nerve:alarmTopicArn': TOPIC });
  stageTemplate = staged.template;
  stageStack = staged.stack;
});

const outputs = (t: Template) => t.toJSON().Outputs as Record<string, { Value: unknown }>;
const alarms = (t: Template) => Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
/** An alarm's one metric, whether CloudFormation has it inline or as its only MetricStat. */
const metricOf = (a: Record<string, any>) => {
  const stat = a.Metrics?.[0]?.MetricStat;
  return stat ? { Namespace: stat.Metric.Namespace, MetricName: stat.Metric.MetricName, Dimensions: stat.Metric.Dimensions, Stat: stat.Stat } : { Namespace: a.Namespace, MetricName: a.MetricName, Dimensions: a.Dimensions, Stat: a.ExtendedStatistic ?? a.Statistic };
};
/** The alarm whose description matches, as JSON (its metrics and threshold). */
const alarmLike = (t: Template, description: RegExp) => {
  const found = alarms(t).filter((a) => description.test(a.AlarmDescription ?? ''));
  expect(found, String(description)).toHaveLength(1);
  return found[0]!;
};

describe('stack outputs', () => {
  it('name the documents bucket, the index table, each queue and dead-letter queue, the dashboard, besides the API\'s URL', () => {
    const o = outputs(template);
    expect(Object.keys(o).sort()).toEqual(['DashboardUrl', 'DocumentsBucket', 'GpuDeadLetterQueueUrl', 'GpuQueueUrl', 'IndexTable', 'IngestDeadLetterQueueUrl', 'IngestQueueUrl', expect.stringMatching(/^OnlineApiUrl/)].sort());
    expect(o.DocumentsBucket!.Value).toEqual({ Ref: expect.stringMatching(/^IngestDocuments/) });
    expect(o.IndexTable!.Value).toEqual({ Ref: expect.stringMatching(/^IndexTable/) });
    expect(o.IngestQueueUrl!.Value).toEqual({ Ref: expect.stringMatching(/^IngestQueue[0-9A-F]/) });
    expect(o.IngestDeadLetterQueueUrl!.Value).toEqual({ Ref: expect.stringMatching(/^IngestQueueDeadLetters/) });
    expect(o.GpuQueueUrl!.Value).toEqual({ Ref: expect.stringMatching(/^IngestGpuQueue[0-9A-F]/) });
    expect(o.GpuDeadLetterQueueUrl!.Value).toEqual({ Ref: expect.stringMatching(/^IngestGpuQueueDeadLetters/) });
    expect(JSON.stringify(o.DashboardUrl!.Value)).toMatch(/console\.aws\.amazon\.com\/cloudwatch\/home\?region=.*#dashboards:name=.*ObservabilityDashboard/);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'Nerve' });
  });

  it('without GPU workers, no GPU queue outputs', () => {
    expect(Object.keys(outputs(stageTemplate)).filter((k) => k.startsWith('Gpu'))).toEqual([]);
  });
});

describe('stage and stack name from context', () => {
  it('the default stack is Nerve; nerve:stage=dev makes it Nerve-dev, tagged, with its own dashboard', () => {
    expect(synthNerveName({})).toBe('Nerve');
    expect(stageStack.stackName).toBe('Nerve-dev');
    stageTemplate.hasResourceProperties('AWS::SQS::Queue', { Tags: Match.arrayWith([{ Key: 'nerve:stage', Value: 'dev' }]) });
    stageTemplate.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'Nerve-dev' });
  });

  it('nerve:stackName names it outright; a bad stage or name is a ConfigError that says the rule', () => {
    expect(synthNerveName({ 'nerve:stackName': 'SearchNer', 'nerve:stage': 'dev' })).toBe('SearchNer');
    expect(configErrorOf(() => synthNerveName({ 'nerve:stage': 'dev_1' })).message).toMatch(/nerve:stage must be 1 to 32 letters, digits or hyphens, got "dev_1"/);
    expect(configErrorOf(() => synthNerveName({ 'nerve:stackName': '1nerve' })).message).toMatch(/must start with a letter/);
  });
});

describe('tracing', () => {
  it('every Nerve function traces actively, and may write to X-Ray', () => {
    const nerveFunctions = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^Nerve') } }));
    expect(nerveFunctions).toHaveLength(4);
    for (const fn of nerveFunctions) expect(fn.Properties.TracingConfig, fn.Properties.Description).toEqual({ Mode: 'Active' });
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies.match(/xray:PutTraceSegments/g)).toHaveLength(4);
  });
});

describe('alarms', () => {
  it('API errors (5xx in percent of requests) and latency (p99)', () => {
    const errors = JSON.stringify(alarmLike(template, /API requests answered 5xx/));
    expect(errors).toMatch(/"MetricName":"5xx".*"MetricName":"Count"|"MetricName":"Count".*"MetricName":"5xx"/);
    expect(errors).toMatch(/IF\(requests >= 20, 100 \* errors \/ requests, 0\)/);
    const latency = alarmLike(template, /API's p99 latency/);
    expect(metricOf(latency)).toMatchObject({ MetricName: 'Latency', Namespace: 'AWS/ApiGateway', Stat: 'p99' });
    expect(latency).toMatchObject({ Threshold: 1000, EvaluationPeriods: 3 });
    const throttles = alarmLike(template, /online function was throttled/);
    expect(metricOf(throttles)).toMatchObject({ MetricName: 'Throttles', Namespace: 'AWS/Lambda' });
    expect(JSON.stringify(throttles.Dimensions)).toMatch(/"Name":"Resource","Value":\{"Fn::Join":\["",\[\{"Ref":"OnlineFunction[0-9A-F]+"\},":live"/);
  });

  it('search latency, from the search handler\'s own latency metric', () => {
    const search = alarmLike(template, /Search's p99 latency/);
    expect(metricOf(search)).toEqual({ Namespace: 'Nerve', MetricName: 'latency', Dimensions: [{ Name: 'service', Value: 'nerve-search' }], Stat: 'p99' });
    expect(search.Threshold).toBe(500);
  });

  it('each queue\'s depth and age of oldest message; each dead-letter queue not empty', () => {
    for (const q of ['Ingest', 'Gpu']) {
      const age = alarmLike(template, new RegExp(`waited over 3600 s in the ${q} queue`));
      const depth = alarmLike(template, new RegExp(`messages wait in the ${q} queue`));
      expect([metricOf(age).MetricName, age.Threshold, metricOf(depth).MetricName, depth.Threshold]).toEqual(['ApproximateAgeOfOldestMessage', 3600, 'ApproximateNumberOfMessagesVisible', 10000]);
      expect(JSON.stringify(age.Dimensions)).toMatch(new RegExp(`"Ingest${q === 'Gpu' ? 'Gpu' : ''}Queue[0-9A-F]`));
    }
    expect(alarms(template).filter((a) => /dead-letter queue/.test(a.AlarmDescription)).map((a) => JSON.stringify(a.Dimensions))).toEqual([expect.stringMatching(/IngestQueueDeadLetters/), expect.stringMatching(/IngestGpuQueueDeadLetters/)]);
  });

  it('documents failed, over the batch function and the GPU workers; the batch function\'s own errors; GPU workers that never start', () => {
    const failed = JSON.stringify(alarmLike(template, /documents were marked failed within an hour/));
    for (const service of ['nerve-batch', 'nerve-gpu-worker']) expect(failed).toContain(`{"Name":"service","Value":"${service}"}`);
    expect(failed).toMatch(/"MetricName":"documents_failed"/);
    expect(metricOf(alarmLike(template, /batch function failed whole invocations/))).toMatchObject({ MetricName: 'Errors', Namespace: 'AWS/Lambda' });
    const gpu = JSON.stringify(alarmLike(template, /no GPU worker running/));
    expect(gpu).toMatch(/"MetricName":"RunningTaskCount","Namespace":"ECS\/ContainerInsights"/);
    expect(gpu).toMatch(/IngestGpuQueue[0-9A-F]/);
    expect(JSON.parse(gpu).EvaluationPeriods).toBe(6); // 30 minutes of 5-minute periods
  });

  it('notify nothing by default; nerve:alarmTopicArn makes every alarm, the dead-letter ones included, notify the topic', () => {
    const scaling = (a: { AlarmDescription?: string }) => /scaling alarm/.test(a.AlarmDescription ?? '');
    for (const a of alarms(template).filter((x) => !scaling(x))) expect(a.AlarmActions, a.AlarmDescription).toBeUndefined();
    const staged = alarms(stageTemplate).filter((a) => !scaling(a));
    expect(staged.length).toBeGreaterThanOrEqual(9);
    for (const a of staged) expect(a.AlarmActions, a.AlarmDescription).toEqual([TOPIC]);
    expect(staged.some((a) => /GPU/.test(a.AlarmDescription))).toBe(false); // no GPU workers there
  });
});

describe('the dashboard', () => {
  const body = () => JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));

  it('graphs every metric the handlers emit (lambdas/**: addMetric), and AWS\'s own for the API, queues and GPU workers', () => {
    for (const name of emittedMetrics().filter((m) => m !== 'entities' && m !== 'clientErrors' && m !== 'documents_stale')) expect(body(), name).toContain(`\\"${name}\\"`);
    for (const name of ['5xx', '4xx', 'Latency', 'ApproximateAgeOfOldestMessage', 'ApproximateNumberOfMessagesVisible', 'ProvisionedConcurrencyUtilization', 'RunningTaskCount', 'CPUUtilization']) expect(body(), name).toContain(`\\"${name}\\"`);
  });

  it('the README names every metric the handlers emit', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Observability'), readme.indexOf('\n## ', readme.indexOf('## Observability') + 5));
    expect(section.length).toBeGreaterThan(100);
    for (const name of emittedMetrics()) expect(section, name).toContain(`\`${name}\``);
  });
});

describe('what cdk destroy leaves behind', () => {
  it('exactly what the README lists: the two buckets and the table are retained, everything else in the template is deleted', () => {
    const retained = Object.values(template.toJSON().Resources as Record<string, { Type: string; DeletionPolicy?: string }>).filter((r) => r.DeletionPolicy === 'Retain' || r.DeletionPolicy === 'RetainExceptOnCreate');
    expect(retained.map((r) => r.Type).sort()).toEqual(['AWS::DynamoDB::GlobalTable', 'AWS::S3::Bucket', 'AWS::S3::Bucket']);
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    for (const what of ['documents bucket', 'access-log bucket', 'entity index']) expect(readme).toMatch(new RegExp(`cdk destroy[\\s\\S]*${what}`));
  });
});

/** The stack's name for this context: building the app is enough, no synth (its staged assets go to a folder removed afterwards). */
function synthNerveName(context: Record<string, unknown>): string {
  const outdir = mkdtempSync(join(tmpdir(), 'nerve-app-'));
  removeAfterAll(outdir);
  process.env.CDK_OUTDIR = outdir;
  try {
    return createApp({ 'nerve:modelsDir': fixtures, 'nerve:model': 'tiny-model', 'nerve:batchModel': 'tiny-model', ...NO_BUNDLING, ...context }).stack.stackName;
  } finally {
    delete process.env.CDK_OUTDIR;
  }
}

/** Every metric name the handlers emit: addMetric's literals, and documents_<outcome> for each outcome of lambdas/batch/process.ts. */
function emittedMetrics(): string[] {
  const sources = walk(join(repoRoot, 'lambdas')).filter((f) => f.endsWith('.ts'));
  const names = new Set<string>();
  for (const file of sources) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/addMetric\(\s*(?:'([^']+)'|`([^`]+)`)/g)) {
      if (m[1]) names.add(m[1]);
      else if (m[2]?.includes('${outcome}')) for (const o of outcomes()) names.add(m[2].replace('${outcome}', o));
    }
    for (const m of text.matchAll(/addMetric\([\w.]+ \? '([^']+)' : '([^']+)'/g)) names.add(m[1]!).add(m[2]!);
  }
  return [...names].sort();
}

function outcomes(): string[] {
  const process = readFileSync(join(repoRoot, 'lambdas', 'batch', 'process.ts'), 'utf8');
  return [...(/export type Outcome = ([^;]+);/.exec(process)![1]!.matchAll(/'(\w+)'/g))].map((m) => m[1]!);
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}
