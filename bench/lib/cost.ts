/**
 * AWS cost of the online path from measured numbers, beside Amazon Comprehend.
 *
 * Prices: public list prices for us-east-1 (x86), as published on the pages below when
 * this was written (2026); check them before quoting:
 * - Lambda requests $0.20 per million; on-demand duration $0.0000166667 per GB-s;
 *   provisioned concurrency $0.0000041667 per GB-s while configured, and duration on
 *   it $0.0000097222 per GB-s. https://aws.amazon.com/lambda/pricing/
 * - API Gateway HTTP API $1.00 per million requests (first 300 million a month).
 *   https://aws.amazon.com/api-gateway/pricing/
 * - Comprehend DetectEntities $0.0001 per unit of 100 characters, 3 units minimum per
 *   request. https://aws.amazon.com/comprehend/pricing/
 */
export const PRICES = {
  lambdaPerMillionRequests: 0.2,
  lambdaOnDemandPerGbSecond: 0.0000166667,
  provisionedPerGbSecond: 0.0000041667,
  provisionedDurationPerGbSecond: 0.0000097222,
  httpApiPerMillion: 1.0,
  comprehendPerUnit: 0.0001,
  comprehendUnitChars: 100,
  comprehendMinUnits: 3,
} as const;

export function onlineCost({ handlerMeanMs, queries, memoryMb = 1769 }: { handlerMeanMs: number; queries: readonly string[]; memoryMb?: number }) {
  const gb = memoryMb / 1024;
  // Lambda bills duration in 1 ms steps; add 1 ms for the runtime's own work around the handler.
  const billedMs = Math.ceil(handlerMeanMs + 1);
  const gbSeconds = (billedMs / 1000) * gb;
  const table = [
    { item: `Lambda requests`, usdPerMillion: PRICES.lambdaPerMillionRequests },
    { item: `Lambda duration on provisioned concurrency (${billedMs} ms billed, ${memoryMb} MB)`, usdPerMillion: gbSeconds * PRICES.provisionedDurationPerGbSecond * 1e6 },
    { item: `API Gateway HTTP API requests`, usdPerMillion: PRICES.httpApiPerMillion },
  ];
  const total = table.reduce((s, r) => s + r.usdPerMillion, 0);
  table.push({ item: 'total per million requests (plus provisioned concurrency below)', usdPerMillion: total });
  const secondsPerMonth = 30 * 24 * 3600;
  const provisionedConcurrencyUsdPerMonth = gb * secondsPerMonth * PRICES.provisionedPerGbSecond;
  const units = queries.map((q) => Math.max(PRICES.comprehendMinUnits, Math.ceil(Array.from(q).length / PRICES.comprehendUnitChars)));
  const comprehendUsdPerMillion = (units.reduce((a, b) => a + b, 0) / units.length) * PRICES.comprehendPerUnit * 1e6;
  return {
    prices: PRICES,
    billedMs,
    table,
    provisionedConcurrencyUsdPerMonth,
    comprehendUsdPerMillion,
    note: 'Nerve per million = total; add provisioned concurrency per instance-month (about 1 instance serves ~hundreds of requests/s at these latencies).',
  };
}
