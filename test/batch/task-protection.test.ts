/** Task scale-in protection against a stand-in for the ECS agent's endpoint on 127.0.0.1 (ecs-agent.ts). */
import { afterEach, describe, expect, it } from 'vitest';
import { expiryMinutes, taskProtection, type TaskProtectionOptions } from '../../lambdas/batch/task-protection.js';
import { startFakeAgent, type AgentMode, type FakeAgent } from './ecs-agent.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A logger that keeps what it is given. */
function recordingLogger() {
  const entries: Array<{ level: string; message: string; extra?: Record<string, unknown> }> = [];
  const at = (level: string) => (message: string, extra?: Record<string, unknown>) => void entries.push({ level, message, extra });
  return { entries, logger: { info: at('info'), warn: at('warn'), debug: at('debug') } as unknown as NonNullable<TaskProtectionOptions['logger']> };
}

let agents: FakeAgent[] = [];
async function agent(mode: AgentMode = 'ok') {
  const a = await startFakeAgent(mode);
  agents.push(a);
  return a;
}
afterEach(async () => {
  await Promise.all(agents.map((a) => a.close()));
  agents = [];
});

describe('task protection', () => {
  it('outside ECS (no ECS_AGENT_URI) does nothing and never fails', async () => {
    const protection = taskProtection({ agentUri: undefined });
    const release = await protection.hold(1800);
    release();
    await protection.close();
  });

  it('takes protection for the lease, as the endpoint documents it, and drops it once idle', async () => {
    const a = await agent();
    const { logger, entries } = recordingLogger();
    const protection = taskProtection({ agentUri: a.uri, idleMs: 200, logger });
    const first = await protection.hold(1800);
    expect(a.state.protectionEnabled).toBe(true);
    expect(a.requests).toEqual([
      expect.objectContaining({ method: 'PUT', path: expect.stringMatching(/\/api\/[0-9a-f]+\/task-protection\/v1\/state$/), contentType: 'application/json', body: { ProtectionEnabled: true, ExpiresInMinutes: 30 } }),
    ]);
    // A second batch while protected asks nothing more; the protection stays until both are done.
    const second = await protection.hold(1800);
    first();
    await sleep(400);
    expect(a.requests).toHaveLength(1);
    expect(a.state.protectionEnabled).toBe(true);
    second();
    await sleep(100);
    expect(a.state.protectionEnabled).toBe(true); // not idle for idleMs yet
    await sleep(300);
    expect(a.requests.map((r) => r.body)).toEqual([{ ProtectionEnabled: true, ExpiresInMinutes: 30 }, { ProtectionEnabled: false }]);
    expect(a.state.protectionEnabled).toBe(false);
    expect(entries.filter((e) => e.level === 'warn')).toEqual([]);
    await protection.close();
    expect(a.requests).toHaveLength(2); // already dropped: nothing more to say
  });

  it('the expiry is the lease in whole minutes (1 to 2,880), renewed every third of it by default', () => {
    expect(expiryMinutes(1800)).toBe(30);
    expect(expiryMinutes(2)).toBe(1);
    expect(expiryMinutes(61)).toBe(2);
    expect(expiryMinutes(10 * 24 * 3600)).toBe(2880);
  });

  it('renews the protection while work goes on', async () => {
    const a = await agent();
    const protection = taskProtection({ agentUri: a.uri, renewEveryMs: 100, idleMs: 50 });
    const release = await protection.hold(1800);
    await sleep(450);
    const enables = a.requests.filter((r) => r.body.ProtectionEnabled === true);
    expect(enables.length).toBeGreaterThanOrEqual(4);
    for (const r of enables) expect(r.body.ExpiresInMinutes).toBe(30);
    release();
    await sleep(200);
    const count = a.requests.length;
    expect(a.requests.at(-1)!.body).toEqual({ ProtectionEnabled: false });
    await sleep(300);
    expect(a.requests).toHaveLength(count); // idle: no renewal
    await protection.close();
  });

  it('a stuck batch is not protected forever: past maxHoldMs, renewals stop and the protection is left to expire', async () => {
    const a = await agent();
    const { logger, entries } = recordingLogger();
    const protection = taskProtection({ agentUri: a.uri, renewEveryMs: 50, maxHoldMs: 200, logger });
    const started = Date.now();
    await protection.hold(1800); // never released
    await sleep(700);
    const enables = a.requests.filter((r) => r.body.ProtectionEnabled === true);
    expect(enables.at(-1)!.at - started).toBeLessThan(200 + 150);
    expect(entries).toContainEqual(expect.objectContaining({ level: 'warn', message: expect.stringMatching(/left to expire/) }));
    // Fresh work protects the task again.
    const fresh = await protection.hold(1800);
    expect(a.requests.at(-1)!.body).toEqual({ ProtectionEnabled: true, ExpiresInMinutes: 30 });
    fresh();
    await protection.close();
    expect(a.requests.at(-1)!.body).toEqual({ ProtectionEnabled: false });
  });

  it.each([
    ['failure', 'a failure (200, "failure")', { status: 200, failure: { reason: 'TASK_NOT_VALID', detail: 'The task is not part of a service' } }],
    ['error', 'a server error (500, "error")', { status: 500, error: { code: 'ServerException', message: 'Timed out calling ECS Task Protection API' } }],
  ] as const)('an agent that answers %s is logged (%s), and work goes on; the next batch asks again', async (mode, _what, logged) => {
    const a = await agent(mode);
    const { logger, entries } = recordingLogger();
    const protection = taskProtection({ agentUri: a.uri, idleMs: 50, logger });
    const release = await protection.hold(1800);
    expect(entries).toEqual([expect.objectContaining({ level: 'warn', message: expect.stringMatching(/not set; work goes on/), extra: expect.objectContaining({ protectionEnabled: true, expiresInMinutes: 30, requestId: 'req-0', ...logged }) })]);
    release();
    // Not confirmed: the next batch asks again, and succeeds once the agent does.
    a.mode = 'ok';
    const again = await protection.hold(1800);
    expect(a.state.protectionEnabled).toBe(true);
    expect(a.requests.filter((r) => r.body.ProtectionEnabled === true)).toHaveLength(2);
    again();
    await protection.close();
    expect(a.state.protectionEnabled).toBe(false);
  });

  it('an agent that never answers costs at most the timeout: logged, and work goes on', async () => {
    const a = await agent('hang');
    const { logger, entries } = recordingLogger();
    const protection = taskProtection({ agentUri: a.uri, timeoutMs: 300, idleMs: 50, logger });
    let t = Date.now();
    const release = await protection.hold(1800);
    expect(Date.now() - t).toBeLessThan(1500);
    expect(Date.now() - t).toBeGreaterThanOrEqual(250);
    expect(entries).toEqual([expect.objectContaining({ level: 'warn', message: expect.stringMatching(/call failed; work goes on/), extra: expect.objectContaining({ reason: 'no answer within 300 ms' }) })]);
    release();
    t = Date.now();
    await protection.close(); // the drop hangs too, and is given up as well
    expect(Date.now() - t).toBeLessThan(1500);
    expect(a.requests.map((r) => r.body)).toEqual([{ ProtectionEnabled: true, ExpiresInMinutes: 30 }, { ProtectionEnabled: false }]);
  });

  it('close drops the protection at once, even mid-hold, and takes none after', async () => {
    const a = await agent();
    const protection = taskProtection({ agentUri: a.uri, idleMs: 60_000 });
    await protection.hold(1800);
    await protection.close();
    expect(a.state.protectionEnabled).toBe(false);
    const late = await protection.hold(1800);
    late();
    expect(a.requests.map((r) => r.body)).toEqual([{ ProtectionEnabled: true, ExpiresInMinutes: 30 }, { ProtectionEnabled: false }]);
  });
});
