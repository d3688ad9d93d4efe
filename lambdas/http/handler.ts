/**
 * The one way a Nerve HTTP route answers: every handler is `httpHandler(service, route)`.
 * The wrapper adds the Lambda context to the logs, records the cold start, latency and
 * client or server error metrics, traces the invocation (X-Ray, a failure marked on it),
 * logs a refusal (4xx, at info, code only) or a failure (5xx, at error, with the stack),
 * and turns the route's value or error into the response. The route itself only reads
 * the request and returns the body.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { METRICS_NAMESPACE, type ServiceName } from '../shared/contract.js';
import { tracingFor, type Tracing } from '../shared/tracing.js';
import { httpFailureOf } from './errors.js';

export interface RouteTools {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Wrap the AWS SDK clients the route uses with `tracing.client`, so that their calls show in the trace. */
  readonly tracing: Tracing;
}

/** A route: the event in, the 200 response's body out; it throws RequestError for a caller's mistake. */
export type Route = (event: APIGatewayProxyEventV2, tools: RouteTools) => Promise<unknown>;
export type HttpHandler = (event: APIGatewayProxyEventV2, context?: Context) => Promise<APIGatewayProxyStructuredResultV2>;

export function json(status: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(body),
  };
}

/** Logger, metrics and tracing of a service, for what a handler does at init (loading its model, its clients). */
export function serviceTools(service: ServiceName): RouteTools {
  return { logger: new Logger({ serviceName: service }), metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service }), tracing: tracingFor(service) };
}

export function httpHandler(tools: RouteTools, route: Route): HttpHandler {
  const { logger, metrics, tracing } = tools;
  return (event, context) => tracing.invocation(async () => {
    const started = performance.now();
    metrics.captureColdStartMetric();
    if (context) logger.addContext(context);
    try {
      const body = await route(event, tools);
      metrics.addMetric('latency', MetricUnit.Milliseconds, performance.now() - started);
      return json(200, body);
    } catch (e) {
      const failure = httpFailureOf(e);
      if (failure.refused) logger.info('request refused', { status: failure.status, code: failure.body.error.code });
      else {
        logger.error('request failed', e as Error);
        tracing.error(e);
      }
      metrics.addMetric(failure.refused ? 'clientErrors' : 'serverErrors', MetricUnit.Count, 1);
      return json(failure.status, failure.body);
    } finally {
      metrics.publishStoredMetrics();
    }
  });
}
