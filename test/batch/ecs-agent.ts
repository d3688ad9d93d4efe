/**
 * A stand-in for the ECS agent's task scale-in protection endpoint, on 127.0.0.1: PUT
 * /task-protection/v1/state with {"ProtectionEnabled", "ExpiresInMinutes"} answers as the
 * agent documents it ({"protection": {...}}, or {"failure"}/{"error"} with a requestID),
 * and records every request. `mode` makes it fail: a failure (the agent's 200 with
 * `failure`), a server error (500 with `error`), or no answer at all.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type AgentMode = 'ok' | 'failure' | 'error' | 'hang';

export interface AgentRequest {
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly contentType?: string;
  readonly body: { ProtectionEnabled?: unknown; ExpiresInMinutes?: unknown };
}

export interface FakeAgent {
  /** What ECS injects as ECS_AGENT_URI. */
  readonly uri: string;
  readonly requests: AgentRequest[];
  mode: AgentMode;
  /** Protection as the agent would report it now. */
  readonly state: { protectionEnabled: boolean; expiresAt?: number };
  close(): Promise<void>;
}

const TASK_ID = '0123456789abcdef0123456789abcdef';
const TASK_ARN = `arn:aws:ecs:us-east-1:123456789012:task/nerve-gpu/${TASK_ID}`;
/** ECS_AGENT_URI's path: the agent serves each task under its own (http://169.254.170.2/api/TASK_ID). */
const BASE_PATH = `/api/${TASK_ID}`;

export async function startFakeAgent(mode: AgentMode = 'ok'): Promise<FakeAgent> {
  const requests: AgentRequest[] = [];
  const state: FakeAgent['state'] = { protectionEnabled: false };
  const hanging = new Set<ServerResponse>();
  let nextRequest = 0;
  const agent: FakeAgent = {
    uri: '',
    requests,
    mode,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  const answer = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const requestID = `req-${nextRequest++}`;
      let body: AgentRequest['body'] = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {
        return answer(res, 400, { requestID, error: { Code: 'InvalidRequest', Message: 'Request body is not valid JSON' } });
      }
      requests.push({ at: Date.now(), method: req.method ?? '', path: req.url ?? '', contentType: req.headers['content-type'], body });
      if (req.url !== `${BASE_PATH}/task-protection/v1/state` || (req.method !== 'PUT' && req.method !== 'GET')) return answer(res, 404, { requestID, error: { Code: 'NotFound', Message: 'no such route' } });
      if (agent.mode === 'hang') {
        hanging.add(res);
        return;
      }
      if (agent.mode === 'error') return answer(res, 500, { requestID, error: { Arn: TASK_ARN, Code: 'ServerException', Message: 'Timed out calling ECS Task Protection API' } });
      if (agent.mode === 'failure') return answer(res, 200, { requestID, failure: { Arn: TASK_ARN, Reason: 'TASK_NOT_VALID', Detail: 'The task is not part of a service' } });
      if (req.method === 'PUT') {
        // The documented parameters: ProtectionEnabled (required, boolean), ExpiresInMinutes (optional, 1 to 2,880; 120 by default).
        if (typeof body.ProtectionEnabled !== 'boolean') return answer(res, 400, { requestID, error: { Code: 'InvalidRequest', Message: 'ProtectionEnabled is required' } });
        const minutes = body.ExpiresInMinutes ?? 120;
        if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < 1 || minutes > 2880) return answer(res, 400, { requestID, error: { Code: 'InvalidParameterException', Message: 'ExpiresInMinutes must be 1 to 2880' } });
        state.protectionEnabled = body.ProtectionEnabled;
        state.expiresAt = body.ProtectionEnabled ? Date.now() + minutes * 60_000 : undefined;
      }
      answer(res, 200, {
        requestID,
        protection: { ExpirationDate: state.expiresAt ? new Date(state.expiresAt).toISOString() : null, ProtectionEnabled: state.protectionEnabled, TaskArn: TASK_ARN },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  (agent as { uri: string }).uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}${BASE_PATH}`;
  return agent;
}
