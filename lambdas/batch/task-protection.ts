/**
 * ECS task scale-in protection for the long-running worker (lambdas/batch/worker.ts): while
 * it holds messages in work, the task asks the ECS agent to protect it from scale-in (and
 * deployments), so that service auto scaling never stops it halfway through a long
 * document; once idle, it drops the protection again.
 *
 * The agent's endpoint: `PUT ${ECS_AGENT_URI}/task-protection/v1/state` with
 * `{"ProtectionEnabled": true, "ExpiresInMinutes": N}` or `{"ProtectionEnabled": false}`;
 * it answers `{"protection": {"ProtectionEnabled", "ExpirationDate", "TaskArn"}}`, or
 * `{"failure": {"Arn", "Reason", "Detail"}}` / `{"error": {"Arn", "Code", "Message"}}`
 * (with a `requestID`). Outside ECS (no ECS_AGENT_URI) nothing is called.
 *
 * Bounded both ways:
 * - the expiry is the held messages' visibility timeout (rounded up to minutes), renewed
 *   every third of it, as the poller renews the visibility: a worker that dies or freezes
 *   loses its protection when its messages come back for other workers, never later;
 * - a hold older than `maxHoldMs` (a batch that never ends) renews nothing, so a stuck
 *   worker is protected at most that long plus one expiry.
 * A failed or hung call is logged and never thrown: each call gives up after `timeoutMs`,
 * and work goes on unprotected.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { SERVICES } from '../shared/contract.js';

export const TASK_PROTECTION_PATH = '/task-protection/v1/state';

/** The endpoint's limits on ExpiresInMinutes. */
const MIN_MINUTES = 1;
const MAX_MINUTES = 2880;

export interface TaskProtectionOptions {
  /** The ECS agent's URI (ECS injects ECS_AGENT_URI); absent: every call does nothing. */
  readonly agentUri?: string;
  /** Longest one call to the agent may take; the agent itself gives ECS 4 s. @default 5000 */
  readonly timeoutMs?: number;
  /** How long the worker must stay idle before it drops protection, so that back-to-back batches do not flip it on every batch. @default 5000 */
  readonly idleMs?: number;
  /** A hold older than this no longer renews protection (a stuck batch). @default 2 hours (10 documents of at most NERVE_DOCUMENT_SECONDS each take far less) */
  readonly maxHoldMs?: number;
  /** Renewal interval. @default a third of the expiry */
  readonly renewEveryMs?: number;
  /** Where failures and changes are logged. @default a Powertools logger named by POWERTOOLS_SERVICE_NAME */
  readonly logger?: Pick<Logger, 'info' | 'warn' | 'debug'>;
}

export interface TaskProtection {
  /**
   * Protects the task until the returned release is called, for `leaseSeconds` at a time
   * (the held messages' visibility timeout), renewed meanwhile. Resolves once the agent has
   * answered, failed or timed out; never rejects.
   */
  hold(leaseSeconds: number): Promise<() => void>;
  /** Drops protection now (if taken) and takes none again; resolves within `timeoutMs`. */
  close(): Promise<void>;
}

/** What the endpoint answers (the agent's TaskProtectionResponse). */
interface AgentResponse {
  requestID?: string;
  protection?: { ProtectionEnabled?: boolean; ExpirationDate?: string | null; TaskArn?: string };
  failure?: { Arn?: string; Reason?: string; Detail?: string };
  error?: { Arn?: string; Code?: string; Message?: string };
}

/** ExpiresInMinutes for a lease: the lease rounded up to whole minutes, within the endpoint's 1 to 2,880. */
export function expiryMinutes(leaseSeconds: number): number {
  return Math.min(MAX_MINUTES, Math.max(MIN_MINUTES, Math.ceil(leaseSeconds / 60)));
}

export function taskProtection(options: TaskProtectionOptions = {}): TaskProtection {
  const { agentUri, timeoutMs = 5000, idleMs = 5000, maxHoldMs = 2 * 60 * 60 * 1000 } = options;
  if (!agentUri) return { hold: async () => () => undefined, close: async () => undefined };
  const logger = options.logger ?? new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME || SERVICES.gpuWorker });
  const url = `${agentUri.replace(/\/+$/, '')}${TASK_PROTECTION_PATH}`;

  const holds = new Map<number, { since: number; leaseSeconds: number }>();
  let nextHold = 0;
  let closed = false;
  /** What was last asked of the agent (on even if the call failed: drop it when idle). */
  let asked = false;
  /** The agent confirmed protection for this many minutes (0: not confirmed). */
  let confirmedMinutes = 0;
  let renewTimer: NodeJS.Timeout | undefined;
  /** The enable in flight, if any, and for how long it asks. */
  let enabling: { done: Promise<void>; minutes: number } | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  // Calls go one at a time, in order: an enable never overtakes the disable before it.
  let calls: Promise<unknown> = Promise.resolve();

  const serial = (enabled: boolean, minutes?: number): Promise<boolean> => {
    const call = calls.then(() => put(enabled, minutes));
    calls = call;
    return call;
  };

  async function put(enabled: boolean, minutes?: number): Promise<boolean> {
    const body = enabled ? { ProtectionEnabled: true, ExpiresInMinutes: minutes } : { ProtectionEnabled: false };
    let status: number | undefined;
    let answer: AgentResponse = {};
    try {
      const response = await fetch(url, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = response.status;
      const text = await response.text();
      try {
        answer = (text ? JSON.parse(text) : {}) as AgentResponse;
      } catch {
        answer = {};
      }
      if (response.ok && answer.protection && answer.protection.ProtectionEnabled === enabled && !answer.failure && !answer.error) {
        logger.debug('task protection set', { protectionEnabled: enabled, expiresInMinutes: minutes, expirationDate: answer.protection.ExpirationDate ?? undefined });
        return true;
      }
      logger.warn('task protection not set; work goes on', {
        protectionEnabled: enabled,
        expiresInMinutes: minutes,
        status,
        requestId: answer.requestID,
        failure: answer.failure ? { reason: answer.failure.Reason, detail: answer.failure.Detail } : undefined,
        error: answer.error ? { code: answer.error.Code, message: answer.error.Message } : undefined,
      });
    } catch (e) {
      const timedOut = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
      logger.warn('task protection call failed; work goes on', {
        protectionEnabled: enabled,
        expiresInMinutes: minutes,
        status,
        reason: timedOut ? `no answer within ${timeoutMs} ms` : e instanceof Error ? e.message : String(e),
      });
    }
    return false;
  }

  /** Minutes the live holds need (holds past maxHoldMs count no more); 0 when none is live. */
  function neededMinutes(now = Date.now()): number {
    let minutes = 0;
    for (const h of holds.values()) if (now - h.since < maxHoldMs) minutes = Math.max(minutes, expiryMinutes(h.leaseSeconds));
    return minutes;
  }

  function enable(minutes: number): Promise<void> {
    clearTimeout(renewTimer);
    renewTimer = undefined;
    asked = true;
    const done = serial(true, minutes).then((ok) => {
      if (enabling?.done === done) enabling = undefined;
      // Still wanted once the agent answered (a release or close may have come meanwhile)?
      if (closed || holds.size === 0) return;
      confirmedMinutes = ok ? minutes : 0;
      clearTimeout(renewTimer);
      renewTimer = setTimeout(() => void renew(), options.renewEveryMs ?? (minutes * 60_000) / 3);
      renewTimer.unref();
    });
    enabling = { done, minutes };
    return done;
  }

  async function renew(): Promise<void> {
    renewTimer = undefined;
    if (closed || holds.size === 0) return;
    const minutes = neededMinutes();
    if (minutes === 0) {
      // Every hold is older than maxHoldMs: let the protection lapse at its expiry.
      logger.warn('work held longer than the protection allows; task protection left to expire', { maxHoldMs, holds: holds.size });
      confirmedMinutes = 0;
      return;
    }
    await enable(minutes);
  }

  async function drop(): Promise<void> {
    idleTimer = undefined;
    if (holds.size > 0 || !asked) return;
    clearTimeout(renewTimer);
    renewTimer = undefined;
    asked = false;
    confirmedMinutes = 0;
    await serial(false);
  }

  return {
    async hold(leaseSeconds) {
      if (closed) return () => undefined;
      const id = nextHold++;
      holds.set(id, { since: Date.now(), leaseSeconds });
      clearTimeout(idleTimer);
      idleTimer = undefined;
      const minutes = expiryMinutes(leaseSeconds);
      // Being protected for long enough already: wait for that; protected and renewing: nothing to ask.
      if (enabling && enabling.minutes >= minutes) await enabling.done;
      else if (confirmedMinutes < minutes || !renewTimer) await enable(Math.max(minutes, neededMinutes()));
      let released = false;
      return () => {
        if (released) return;
        released = true;
        holds.delete(id);
        if (holds.size === 0 && !closed) {
          idleTimer = setTimeout(() => void drop(), idleMs);
          idleTimer.unref();
        }
      };
    },
    async close() {
      if (closed) return calls.then(() => undefined);
      closed = true;
      clearTimeout(renewTimer);
      clearTimeout(idleTimer);
      renewTimer = idleTimer = undefined;
      holds.clear();
      if (asked) {
        asked = false;
        confirmedMinutes = 0;
        await serial(false);
      } else {
        await calls;
      }
    },
  };
}
