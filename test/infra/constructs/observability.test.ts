import { Duration, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { OBSERVABILITY_DEFAULTS, Observability, type ObservabilityProps } from '../../../lib/observability.js';
import { bareStack, configErrorOf } from '../../helpers/synth.js';

/** What the construct watches, as small as CloudFormation allows: the metrics only need names. */
function deps(stack: Stack): Omit<ObservabilityProps, 'gpuService'> {
  const fn = (id: string) => new lambda.Function(stack, id, { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({})') });
  const online = new lambda.Alias(stack, 'Live', { aliasName: 'live', version: fn('Online').currentVersion });
  const queue = new sqs.Queue(stack, 'Queue');
  const deadLetterQueue = new sqs.Queue(stack, 'DeadLetters');
  const deadLetterAlarm = new cloudwatch.Alarm(stack, 'DeadLettersAlarm', { metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible(), threshold: 1, evaluationPeriods: 1 });
  return { api: new apigw.HttpApi(stack, 'Api'), online, search: fn('Search'), documents: fn('Documents'), batch: fn('Batch'), queues: [{ label: 'Ingest', queue, deadLetterQueue, deadLetterAlarm }] };
}

function build(props: Partial<ObservabilityProps> = {}): Template {
  const stack = bareStack();
  new Observability(stack, 'Observability', { ...deps(stack), ...props });
  return Template.fromStack(stack);
}

const descriptions = (t: Template) => Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties.AlarmDescription as string);
const alarmLike = (t: Template, description: RegExp) => Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties).find((a) => description.test(a.AlarmDescription))!;

describe('Observability', () => {
  it('the defaults are those documented', () => {
    expect(OBSERVABILITY_DEFAULTS).toMatchObject({ apiErrorPercent: 1, apiLatencyP99Ms: 1000, searchLatencyP99Ms: 500, queueAgeSeconds: 3600, queueDepth: 10_000, failedDocumentsPerHour: 10, gpuStartMinutes: 30 });
    expect(OBSERVABILITY_DEFAULTS.period.toSeconds()).toBe(300);
  });

  it('without GPU workers: no GPU alarm and no GPU graph; one dashboard named after the stack', () => {
    const t = build();
    expect(descriptions(t).filter((d) => /GPU/.test(d))).toEqual([]);
    expect(descriptions(t)).toHaveLength(10); // 5 API and search (the word index's included), 2 for the one queue, failed documents, batch errors, and the test's dead-letter alarm
    const words = alarmLike(t, /without the word index/);
    expect(words).toMatchObject({ Threshold: 1, EvaluationPeriods: 3, TreatMissingData: 'notBreaching' });
    expect(JSON.stringify(words)).toMatch(/"wordIndexUnavailable"/);
    t.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'Test' });
    expect(JSON.stringify(t.findResources('AWS::CloudWatch::Dashboard'))).not.toMatch(/GPU workers/);
  });

  it('thresholds come from props', () => {
    const t = build({ apiLatencyP99Ms: 250, searchLatencyP99Ms: 80, queueAgeSeconds: 600, queueDepth: 50, failedDocumentsPerHour: 1, apiErrorPercent: 5 });
    expect(alarmLike(t, /p99 latency stayed above 250 ms/).Threshold).toBe(250);
    expect(alarmLike(t, /Search's p99 latency stayed above 80 ms/).Threshold).toBe(80);
    expect(alarmLike(t, /waited over 600 s/).Threshold).toBe(600);
    expect(alarmLike(t, /Over 50 messages/).Threshold).toBe(50);
    expect(alarmLike(t, /1 or more documents were marked failed/).Threshold).toBe(1);
    expect(alarmLike(t, /More than 5% of API requests/).Threshold).toBe(5);
  });

  it('alarmActions reach every alarm, the dead-letter alarms it was given included', () => {
    const stack = bareStack();
    const topic = new sns.Topic(stack, 'Topic');
    new Observability(stack, 'Observability', { ...deps(stack), alarmActions: [new SnsAction(topic)] });
    const alarms = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBe(10);
    for (const a of alarms) expect(a.Properties.AlarmActions, a.Properties.AlarmDescription).toEqual([{ Ref: expect.stringMatching(/^Topic/) }]);
  });

  it('reports every threshold that is not a positive number, at once', () => {
    const e = configErrorOf(() => build({ apiLatencyP99Ms: 0, queueDepth: -1, gpuStartMinutes: Number.NaN }));
    expect(e.message).toMatch(/apiLatencyP99Ms must be a positive number, got 0/);
    expect(e.message).toMatch(/queueDepth must be a positive number, got -1/);
    expect(e.message).toMatch(/gpuStartMinutes must be a positive number, got NaN/);
  });

  it('the period of every alarm but the hourly failures is five minutes', () => {
    const t = build();
    const periods = Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((a) => JSON.stringify(a.Properties).match(/"Period":(\d+)/)?.[1]);
    expect(periods.filter((p) => p === String(Duration.hours(1).toSeconds()))).toHaveLength(1);
    expect(periods.filter((p) => p === '300')).toHaveLength(periods.length - 1);
  });
});
