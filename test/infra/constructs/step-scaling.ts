/**
 * Step scaling, evaluated on a synthesized template: given what the queues hold, which
 * scaling alarms breach and what change each one's policy makes. So a test states the
 * behaviour ("a document in flight keeps its worker") instead of the thresholds.
 * Alarms on one metric and on metric math (IF, FILL, comparisons, AND/OR) are read.
 */
import type { Template } from 'aws-cdk-lib/assertions';

/** What the GPU queue and the main ingest queue hold at one moment. */
export interface QueueState {
  readonly gpuVisible?: number;
  readonly gpuInFlight?: number;
  readonly mainVisible?: number;
  readonly mainInFlight?: number;
}

type Json = Record<string, any>;

/** A queue metric's value in `state`: the queue is told by the logical ID its QueueName dimension points at. */
function metricValue(metric: Json, state: QueueState): number {
  const ref = JSON.stringify(metric.Dimensions?.find((d: Json) => d.Name === 'QueueName')?.Value ?? '');
  const queue = /Gpu/.test(ref) ? 'gpu' : 'main';
  if (metric.MetricName === 'ApproximateNumberOfMessagesVisible') return state[`${queue}Visible`] ?? 0;
  if (metric.MetricName === 'ApproximateNumberOfMessagesNotVisible') return state[`${queue}InFlight`] ?? 0;
  throw new Error(`no value for metric ${metric.MetricName}`);
}

/** A metric math expression, evaluated on one data point per metric. */
function evaluate(expression: string, values: Record<string, number>): number {
  const js = expression.replace(/\bAND\b/g, '&&').replace(/\bOR\b/g, '||').replace(/\bNOT\b/g, '!');
  const ids = Object.keys(values);
  const fn = new Function('IF', 'FILL', ...ids, `return (${js});`) as (...args: unknown[]) => number | boolean;
  const result = fn((c: unknown, a: number, b: number) => (c ? a : b), (x: number | undefined, v: number) => x ?? v, ...ids.map((id) => values[id]));
  return Number(result);
}

/** The value an alarm compares with its threshold, in `state`. */
export function alarmValue(alarm: Json, state: QueueState): number {
  if (alarm.MetricName) return metricValue(alarm, state);
  const metrics = alarm.Metrics as Json[];
  const values = Object.fromEntries(metrics.filter((m) => m.MetricStat).map((m) => [m.Id, metricValue(m.MetricStat.Metric, state)]));
  const result = metrics.find((m) => m.ReturnData !== false && m.Expression);
  if (!result) throw new Error('a math alarm without the expression it returns');
  return evaluate(result.Expression, values);
}

function breaches(alarm: Json, value: number): boolean {
  const t = alarm.Threshold as number;
  switch (alarm.ComparisonOperator) {
    case 'GreaterThanOrEqualToThreshold': return value >= t;
    case 'GreaterThanThreshold': return value > t;
    case 'LessThanOrEqualToThreshold': return value <= t;
    case 'LessThanThreshold': return value < t;
    default: throw new Error(`unexpected comparison ${alarm.ComparisonOperator}`);
  }
}

/**
 * The capacity changes the template's step scaling policies make in `state`, one per
 * breaching alarm (two entries: two policies act at once). Step bounds are relative to
 * the threshold; above it a step holds [lower, upper), below it (lower, upper] (AWS's rule).
 */
export function scalingChanges(t: Template, state: QueueState): number[] {
  const policies = t.findResources('AWS::ApplicationAutoScaling::ScalingPolicy');
  const changes: number[] = [];
  for (const alarm of Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties)) {
    const policyId = (alarm.AlarmActions as Json[] | undefined)?.map((a) => a.Ref).find((ref) => ref && policies[ref]);
    if (!policyId) continue;
    const value = alarmValue(alarm, state);
    if (!breaches(alarm, value)) continue;
    const diff = value - alarm.Threshold;
    const below = String(alarm.ComparisonOperator).startsWith('Less');
    const step = (policies[policyId]!.Properties.StepScalingPolicyConfiguration.StepAdjustments as Json[]).find((s) => {
      const lower = s.MetricIntervalLowerBound ?? -Infinity;
      const upper = s.MetricIntervalUpperBound ?? Infinity;
      return below ? diff > lower && diff <= upper : diff >= lower && diff < upper;
    });
    if (step) changes.push(step.ScalingAdjustment);
  }
  return changes.sort((a, b) => a - b);
}
