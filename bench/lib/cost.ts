/**
 * AWS cost of the online and batch paths from measured numbers, beside Amazon Comprehend.
 *
 * Prices: public list prices for us-east-1 (x86), as published on the pages below when
 * this was written (2026); check them before quoting:
 * - Lambda requests $0.20 per million; on-demand duration $0.0000166667 per GB-s;
 *   provisioned concurrency $0.0000041667 per GB-s while configured, and duration on
 *   it $0.0000097222 per GB-s. https://aws.amazon.com/lambda/pricing/
 * - API Gateway HTTP API $1.00 per million requests (first 300 million a month).
 *   https://aws.amazon.com/api-gateway/pricing/
 * - DynamoDB on-demand $0.625 per million write request units.
 *   https://aws.amazon.com/dynamodb/pricing/on-demand/
 * - S3 Standard GET $0.0004 per 1,000 requests. https://aws.amazon.com/s3/pricing/
 * - SQS standard queues $0.40 per million requests. https://aws.amazon.com/sqs/pricing/
 * - Comprehend entity detection $0.0001 per unit of 100 characters, 3 units minimum per
 *   request or document. https://aws.amazon.com/comprehend/pricing/
 */
export const PRICES = {
  lambdaPerMillionRequests: 0.2,
  lambdaOnDemandPerGbSecond: 0.0000166667,
  provisionedPerGbSecond: 0.0000041667,
  provisionedDurationPerGbSecond: 0.0000097222,
  httpApiPerMillion: 1.0,
  dynamoPerMillionWriteUnits: 0.625,
  s3GetPerThousand: 0.0004,
  sqsPerMillionRequests: 0.4,
  comprehendPerUnit: 0.0001,
  comprehendUnitChars: 100,
  comprehendMinUnits: 3,
} as const;

/** What Amazon Comprehend charges to detect the entities of a million texts like these. */
export function comprehendUsdPerMillion(texts: readonly string[]): number {
  const units = texts.map((t) => Math.max(PRICES.comprehendMinUnits, Math.ceil(Array.from(t).length / PRICES.comprehendUnitChars)));
  return (units.reduce((a, b) => a + b, 0) / units.length) * PRICES.comprehendPerUnit * 1e6;
}

/** Per million requests to the online function (`memoryMb`, on provisioned concurrency) at the measured mean handler time. */
export function onlineCost({ handlerMeanMs, queries, memoryMb }: { handlerMeanMs: number; queries: readonly string[]; memoryMb: number }) {
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
  return {
    prices: PRICES,
    billedMs,
    table,
    provisionedConcurrencyUsdPerMonth,
    comprehendUsdPerMillion: comprehendUsdPerMillion(queries),
    note: 'Nerve per million = total; add provisioned concurrency per instance-month (about 1 instance serves ~hundreds of requests/s at these latencies).',
  };
}

/**
 * Per million documents through the batch function (`memoryMb`, on demand, `documentsPerInvocation`
 * messages per invocation) at the measured seconds and entities per document.
 */
export function batchCost({ secondsPerDocument, entitiesPerDocument, termsPerDocument, memoryMb, documentsPerInvocation }: { secondsPerDocument: number; entitiesPerDocument: number; termsPerDocument: number; memoryMb: number; documentsPerInvocation: number }) {
  const gbSecondsPerDocument = secondsPerDocument * (memoryMb / 1024);
  // Write units per document, assuming items under 1 KB (a Reuters posting is about 250 bytes):
  // record, chunks, lease; per entity a posting and its frequency update, in one transaction
  // (2 units per item written in a transaction), the posting's rank-index copy, and a name update
  // (only when the name learns a reading, so this is an upper bound for recurring names).
  // A term (lambdas/index/terms.ts) is a posting and a count too, with its rank-index copy and no name.
  const writesPerDocument = 6 + (2 * 2 + 1 + 1) * entitiesPerDocument + (2 * 2 + 1) * termsPerDocument;
  const aws = {
    lambdaComputePerMillion: gbSecondsPerDocument * PRICES.lambdaOnDemandPerGbSecond * 1e6,
    lambdaRequestsPerMillion: PRICES.lambdaPerMillionRequests / documentsPerInvocation,
    dynamoWritesPerMillion: writesPerDocument * PRICES.dynamoPerMillionWriteUnits,
    s3AndSqsPerMillion: PRICES.s3GetPerThousand * 1000 + 3 * PRICES.sqsPerMillionRequests, // one GET; send, receive, delete
  };
  return { ...aws, total: Object.values(aws).reduce((a, b) => a + b, 0) };
}
