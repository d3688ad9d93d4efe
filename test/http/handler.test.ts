import { describe, expect, it, vi } from 'vitest';
import { httpHandler, serviceTools } from '../../lambdas/http/handler.js';
import { RequestError } from '../../lambdas/shared/errors.js';
import { SERVICES } from '../../lambdas/shared/contract.js';
import { jsonEvent } from '../../tools/http-events.js';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

/** A real Logger and Metrics, watched. */
function watched() {
  const tools = serviceTools(SERVICES.documents);
  return { tools, metric: vi.spyOn(tools.metrics, 'addMetric'), info: vi.spyOn(tools.logger, 'info'), error: vi.spyOn(tools.logger, 'error') };
}

describe('httpHandler, the one way a route answers', () => {
  it("answers the route's value as JSON 200 and records its latency", async () => {
    const w = watched();
    const res = await httpHandler(w.tools, async () => ({ ok: true }))(jsonEvent('GET /x', {}));
    expect(res).toMatchObject({ statusCode: 200, headers: { 'content-type': 'application/json; charset=utf-8' } });
    expect(JSON.parse(res.body!)).toEqual({ ok: true });
    expect(w.metric.mock.calls.map((c) => c[0])).toEqual(['latency']);
  });

  it("turns a caller's mistake into its 4xx, logged at info with its code, counted as a client error", async () => {
    const w = watched();
    const res = await httpHandler(w.tools, async () => {
      throw new RequestError('not_found', 'no document d1');
    })(jsonEvent('GET /x', {}));
    expect(res.statusCode).toBe(404);
    expect(JSON.parse(res.body!)).toEqual({ error: { code: 'not_found', message: 'no document d1' } });
    expect(w.info).toHaveBeenCalledWith('request refused', { status: 404, code: 'not_found' });
    expect(w.error).not.toHaveBeenCalled();
    expect(w.metric.mock.calls.map((c) => c[0])).toEqual(['clientErrors']);
  });

  it('turns any other error into a 500 that echoes nothing, logged at error, counted as a server error', async () => {
    const w = watched();
    const res = await httpHandler(w.tools, async () => {
      throw new Error('connect ECONNREFUSED 10.0.0.1 secret-table');
    })(jsonEvent('GET /x', {}));
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toMatch(/ECONNREFUSED|secret/);
    expect(JSON.parse(res.body!).error.code).toBe('internal_error');
    expect(w.error).toHaveBeenCalledTimes(1);
    expect(w.metric.mock.calls.map((c) => c[0])).toEqual(['serverErrors']);
  });
});
