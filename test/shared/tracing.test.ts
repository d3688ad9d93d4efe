/**
 * X-Ray tracing of the HTTP handlers (lambdas/shared/tracing.ts), in child processes:
 * in a Lambda environment an invocation reaches the X-Ray daemon (a UDP socket here) as
 * a subsegment with the cold start and service annotated; elsewhere (the local stack, the
 * tests) the X-Ray SDK is never even loaded, and with POWERTOOLS_TRACE_ENABLED=false neither.
 */
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.js';

// One request through httpHandler, then whether the X-Ray SDK's context namespace (cls-hooked) exists.
const SCRIPT = `
const { httpHandler, serviceTools } = await import(${JSON.stringify(join(repoRoot, 'lambdas/http/handler.ts'))});
const handler = httpHandler(serviceTools('nerve-documents'), async () => ({ ok: true }));
const res = await handler({ headers: {}, requestContext: {} }, { functionName: 'f', awsRequestId: 'r' });
console.log(JSON.stringify({ status: res.statusCode, xraySdkLoaded: Boolean(process.namespaces?.AWSXRay) }));
`;
const LAMBDA = { AWS_LAMBDA_FUNCTION_NAME: 'nerve-documents', AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand', _HANDLER: 'index.handler', _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1' };

function invoke(env: Record<string, string>): { status: number; xraySdkLoaded: boolean } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: process.env.PATH, POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_REGION: 'us-east-1', LAMBDA_TASK_ROOT: repoRoot, ...env },
  });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!);
}

describe('tracing', () => {
  it('in Lambda: the invocation is sent to the X-Ray daemon as a subsegment, with the cold start and the service', async () => {
    const daemon = createSocket('udp4');
    const received: string[] = [];
    daemon.on('message', (m) => received.push(m.toString()));
    await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
    try {
      const out = invoke({ ...LAMBDA, AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${(daemon.address() as AddressInfo).port}` });
      expect(out).toEqual({ status: 200, xraySdkLoaded: true });
      await expect.poll(() => received.length, { timeout: 5000 }).toBeGreaterThan(0);
      const segment = JSON.parse(received[0]!.split('\n')[1]!);
      expect(segment).toMatchObject({ name: '## index.handler', type: 'subsegment', trace_id: '1-5759e988-bd862e3fe1be46a994272793', parent_id: '53995c3f42cd8ad8', annotations: { ColdStart: true, Service: 'nerve-documents' } });
    } finally {
      daemon.close();
    }
  });

  it('outside Lambda, and with POWERTOOLS_TRACE_ENABLED=false, the X-Ray SDK is not loaded (its async hooks slow every await)', () => {
    expect(invoke({})).toEqual({ status: 200, xraySdkLoaded: false });
    expect(invoke({ ...LAMBDA, POWERTOOLS_TRACE_ENABLED: 'false' })).toEqual({ status: 200, xraySdkLoaded: false });
  });
});
