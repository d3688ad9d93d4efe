/**
 * What an operator watches: one CloudWatch dashboard and the alarms worth waking for,
 * over AWS's own metrics (API Gateway, Lambda, SQS, ECS Container Insights) and the ones
 * the handlers emit (namespace METRICS_NAMESPACE, dimension `service`, through Powertools
 * Metrics: see the README's "Observability"). Alarms notify `alarmActions` (an SNS topic,
 * context nerve:alarmTopicArn); without them they show on the dashboard and in the console.
 *
 * The HTTP API has no X-Ray tracing of its own (API Gateway traces REST APIs only): traces
 * start at the functions, which trace actively.
 */
import { Aws, Duration, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICES, type ServiceName } from '../lambdas/shared/contract.js';
import { ConfigError } from '../lambdas/shared/errors.js';
import { withDefaults } from './defaults.js';

/** A queue and its dead-letter queue, with the alarm IngestPipeline already raises on the latter. */
export interface WatchedQueue {
  readonly label: string;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly deadLetterAlarm: cloudwatch.Alarm;
}

export interface ObservabilityProps {
  readonly api: apigw.IHttpApi;
  /** The online function's `live` alias (provisioned concurrency). */
  readonly online: lambda.Alias;
  readonly search: lambda.IFunction;
  readonly documents: lambda.IFunction;
  readonly batch: lambda.IFunction;
  /** The ingest queue first, then the GPU queue when there is one. */
  readonly queues: readonly WatchedQueue[];
  /** The GPU workers' service. @default - none (no GPU widgets or alarm) */
  readonly gpuService?: ecs.BaseService;
  /** Where every alarm notifies. @default - nowhere */
  readonly alarmActions?: cloudwatch.IAlarmAction[];
  /** 5xx answers, in percent of requests over 5 minutes (from 20 requests on), that raise an alarm. @default 1 */
  readonly apiErrorPercent?: number;
  /** p99 of the API's latency (ms) over 5 minutes, three periods running, that raises an alarm. @default 1000 */
  readonly apiLatencyP99Ms?: number;
  /** p99 of the search handler's latency (ms), three 5-minute periods running. @default 500 */
  readonly searchLatencyP99Ms?: number;
  /** Age of a queue's oldest message (seconds) that raises an alarm: documents waiting that long. @default 3600 */
  readonly queueAgeSeconds?: number;
  /** Messages waiting in a queue that raise an alarm. @default 10000 */
  readonly queueDepth?: number;
  /** Documents marked failed within an hour that raise an alarm (unreadable files, over budget). @default 10 */
  readonly failedDocumentsPerHour?: number;
  /** Minutes that large files may wait with no GPU worker running (instance quota, image pull) before an alarm. @default 30 */
  readonly gpuStartMinutes?: number;
}

export const OBSERVABILITY_DEFAULTS = {
  apiErrorPercent: 1,
  apiLatencyP99Ms: 1000,
  searchLatencyP99Ms: 500,
  queueAgeSeconds: 3600,
  queueDepth: 10_000,
  failedDocumentsPerHour: 10,
  gpuStartMinutes: 30,
  /** No prop: the period of every alarm and graph but the hourly failures. */
  period: Duration.minutes(5),
} as const;

const BATCH_SERVICES: readonly ServiceName[] = [SERVICES.batch, SERVICES.gpuWorker];

/** Raises an alarm in this construct (missing data is not breaching: no traffic is no fault). */
type RaiseAlarm = (id: string, description: string, options: cloudwatch.AlarmProps) => cloudwatch.Alarm;

/** A metric a handler emits (Powertools: dimension `service` only; the online function adds modelVersion). */
function nerveMetric(service: ServiceName, metricName: string, statistic: string, period: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service }, statistic, period, label: `${metricName} (${service})` });
}

/** The sum of a count over the batch function and the GPU workers; a period without either counts 0. */
function batchSum(metricName: string, period: Duration): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: 'FILL(lambda, 0) + FILL(gpu, 0)',
    usingMetrics: { lambda: nerveMetric(SERVICES.batch, metricName, 'Sum', period), gpu: nerveMetric(SERVICES.gpuWorker, metricName, 'Sum', period) },
    label: metricName,
    period,
  });
}

export class Observability extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  /** The dashboard in the CloudWatch console. */
  public readonly dashboardUrl: string;
  /** Every alarm this construct raised (the dead-letter alarms are IngestPipeline's). */
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const s = withDefaults(props, OBSERVABILITY_DEFAULTS);
    const problems = Object.entries(s)
      .filter(([k, v]) => typeof v === 'number' && k in OBSERVABILITY_DEFAULTS && !(v > 0))
      .map(([k, v]) => `${k} must be a positive number, got ${v}`);
    if (problems.length > 0) throw new ConfigError(`Observability ${id}: ${problems.join('; ')}`, { construct: id, problems });
    const { period } = s;
    const alarm: RaiseAlarm = (alarmId, description, options) => {
      const a = new cloudwatch.Alarm(this, alarmId, { treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING, alarmDescription: description, ...options });
      this.alarms.push(a);
      return a;
    };
    const above = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD;
    const atLeast = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;

    // The API: errors in percent of requests (from 20 on, so one failure in three calls is no page), and latency.
    const requests = props.api.metricCount({ period, statistic: 'Sum' });
    const serverErrors = props.api.metricServerError({ period, statistic: 'Sum' });
    const errorPercent = new cloudwatch.MathExpression({ expression: 'IF(requests >= 20, 100 * errors / requests, 0)', usingMetrics: { requests, errors: serverErrors }, label: '5xx (% of requests)', period });
    alarm('ApiErrors', `More than ${s.apiErrorPercent}% of API requests answered 5xx over 5 minutes: see the functions' logs (serverErrors).`, { metric: errorPercent, threshold: s.apiErrorPercent, evaluationPeriods: 1, comparisonOperator: above });
    const apiLatency = (statistic: string) => props.api.metricLatency({ period, statistic, label: `latency ${statistic}` });
    alarm('ApiLatency', `The API's p99 latency stayed above ${s.apiLatencyP99Ms} ms for 15 minutes.`, { metric: apiLatency('p99'), threshold: s.apiLatencyP99Ms, evaluationPeriods: 3, comparisonOperator: above });
    alarm('OnlineThrottles', 'The online function was throttled: provisioned and on-demand concurrency were exhausted (raise nerve:maxProvisionedConcurrency or the account limit).', {
      metric: props.online.metricThrottles({ period, statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: atLeast,
    });
    const searchLatency = (statistic: string) => nerveMetric(SERVICES.search, 'latency', statistic, period).with({ label: `search latency ${statistic}` });
    alarm('SearchLatency', `Search's p99 latency stayed above ${s.searchLatencyP99Ms} ms for 15 minutes (dynamodbRequests shows whether the index reads grew).`, { metric: searchLatency('p99'), threshold: s.searchLatencyP99Ms, evaluationPeriods: 3, comparisonOperator: above });
    // Emitted only where the stack has a word index (nerve:wordSearch): search then still answers, from the entities alone.
    alarm('WordIndexUnavailable', 'Searches were answered without the word index for 15 minutes (it did not answer): see the search function\'s warnings and the OpenSearch Serverless collection.', {
      metric: nerveMetric(SERVICES.search, 'wordIndexUnavailable', 'Sum', period),
      threshold: 1,
      evaluationPeriods: 3,
      comparisonOperator: atLeast,
    });

    // The batch path: queues backing up or stuck, failures, and GPU workers that never start.
    for (const q of props.queues) {
      alarm(`${q.label}QueueAge`, `A document has waited over ${s.queueAgeSeconds} s in the ${q.label} queue: its consumers are failing or too few.`, {
        metric: q.queue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum' }),
        threshold: s.queueAgeSeconds,
        evaluationPeriods: 1,
        comparisonOperator: above,
      });
      alarm(`${q.label}QueueDepth`, `Over ${s.queueDepth} messages wait in the ${q.label} queue.`, { metric: q.queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }), threshold: s.queueDepth, evaluationPeriods: 1, comparisonOperator: atLeast });
    }
    const hour = Duration.hours(1);
    alarm('FailedDocuments', `${s.failedDocumentsPerHour} or more documents were marked failed within an hour: GET /v1/documents/{id} gives each reason.`, {
      metric: batchSum('documents_failed', hour),
      threshold: s.failedDocumentsPerHour,
      evaluationPeriods: 1,
      comparisonOperator: atLeast,
    });
    alarm('BatchErrors', 'The batch function failed whole invocations (start-up or timeout), not single records: see its logs.', { metric: props.batch.metricErrors({ period, statistic: 'Sum' }), threshold: 1, evaluationPeriods: 1, comparisonOperator: atLeast });
    const gpu = props.gpuService ? this.gpuWorkers(props.gpuService, props.queues[1]?.queue, s.gpuStartMinutes, alarm) : undefined;

    for (const a of [...this.alarms, ...props.queues.map((q) => q.deadLetterAlarm)]) for (const action of props.alarmActions ?? []) a.addAlarmAction(action);

    const graph = (title: string, left: cloudwatch.IMetric[], width = 8) => new cloudwatch.GraphWidget({ title, left, width, height: 6 });
    const online = props.online;
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: Stack.of(this).stackName,
      defaultInterval: Duration.hours(3),
      widgets: [
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...this.alarms, ...props.queues.map((q) => q.deadLetterAlarm)], width: 24, height: 3 })],
        [
          graph('API requests and errors', [requests, props.api.metricClientError({ period, statistic: 'Sum' }), serverErrors]),
          graph('API latency (ms)', [apiLatency('p50'), apiLatency('p99')]),
          graph('POST /v1/entities: online function (ms), throttles', [
            online.metricDuration({ period, statistic: 'p50' }),
            online.metricDuration({ period, statistic: 'p99' }),
            online.metricThrottles({ period, statistic: 'Sum' }),
            online.metric('ProvisionedConcurrencyUtilization', { period, statistic: 'Maximum' }),
          ]),
        ],
        [
          graph('POST /v1/search latency (ms)', [searchLatency('p50'), searchLatency('p99')]),
          graph('Search: DynamoDB requests per query, errors', [nerveMetric(SERVICES.search, 'dynamodbRequests', 'Average', period), nerveMetric(SERVICES.search, 'serverErrors', 'Sum', period), nerveMetric(SERVICES.search, 'wordIndexUnavailable', 'Sum', period), props.search.metricThrottles({ period })]),
          graph('GET /v1/documents latency (ms)', [nerveMetric(SERVICES.documents, 'latency', 'p50', period), nerveMetric(SERVICES.documents, 'latency', 'p99', period)]),
        ],
        [
          graph('Queue depth (waiting)', props.queues.map((q) => q.queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum', label: q.label }))),
          graph('Age of oldest message (s)', props.queues.map((q) => q.queue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum', label: q.label }))),
          graph('Dead-letter queues', props.queues.map((q) => q.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum', label: `${q.label} dead letters` }))),
        ],
        [
          graph('Documents', ['indexed', 'failed', 'removed', 'routed_gpu', 'deferred'].flatMap((o) => BATCH_SERVICES.map((svc) => nerveMetric(svc, `documents_${o}`, 'Sum', period)))),
          graph('Batch function', [props.batch.metricDuration({ period, statistic: 'p99' }), props.batch.metricErrors({ period, statistic: 'Sum' }), nerveMetric(SERVICES.batch, 'records_failed', 'Sum', period)]),
          ...(gpu ? [graph('GPU workers', gpu)] : []),
        ],
      ],
    });
    this.dashboardUrl = `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${this.dashboard.dashboardName}`;
  }

  /** The GPU workers' alarm (large files waiting, no worker running) and their graph's metrics. */
  private gpuWorkers(service: ecs.BaseService, gpuQueue: sqs.IQueue | undefined, minutes: number, alarm: RaiseAlarm): cloudwatch.IMetric[] {
    const period = OBSERVABILITY_DEFAULTS.period;
    const insights = (metricName: string) =>
      new cloudwatch.Metric({ namespace: 'ECS/ContainerInsights', metricName, dimensionsMap: { ClusterName: service.cluster.clusterName, ServiceName: service.serviceName }, statistic: 'Maximum', period });
    const running = insights('RunningTaskCount');
    if (gpuQueue) {
      const stalled = new cloudwatch.MathExpression({
        expression: 'IF(FILL(waiting, 0) >= 1 AND FILL(running, 0) < 1, 1, 0)',
        usingMetrics: { waiting: gpuQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }), running },
        label: 'large files waiting, no GPU worker running',
        period,
      });
      alarm('GpuWorkersNotRunning', `Large files have waited ${minutes} minutes with no GPU worker running: check the ECS service's events (GPU instance quota, capacity, image pull).`, {
        metric: stalled,
        threshold: 1,
        evaluationPeriods: Math.max(1, Math.round(minutes / period.toMinutes())),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
    }
    return [running, insights('DesiredTaskCount'), service.metricCpuUtilization({ period }), service.metricMemoryUtilization({ period })];
  }
}
