/**
 * An open-loop load generator: request i is due at start + i / rate, evenly spaced, and
 * goes out then whether or not earlier ones have answered (over a pool of keep-alive
 * connections). Latency runs from the time a request was due, so a stalled server or a
 * late generator shows in the figures instead of hiding (no coordinated omission).
 *
 * Why not autocannon's `overallRate`: it is a per-second budget, not a rate. Each
 * connection sends back to back until it has spent its share of the second, then waits
 * for the next one, so "200 requests/s" over 8 connections arrives as a burst of 200
 * requests, 8 at a time, in the first tenth of every second: a test of queueing under
 * bursts, not of a fixed rate.
 */
import { Agent, request } from 'node:http';

export interface OpenLoopOptions {
  readonly url: string;
  readonly rate: number;
  readonly seconds: number;
  /** The body of request i. */
  readonly body: (i: number) => string;
  readonly headers?: Record<string, string>;
  /** Keep-alive connections at most. @default 16 */
  readonly connections?: number;
  /** A request that has not answered after this long counts as an error. @default 10,000 */
  readonly timeoutMs?: number;
}

export interface OpenLoopResult {
  readonly requests: number;
  readonly latenciesMs: number[];
  readonly non2xx: number;
  readonly errors: number;
  /** How late the generator itself sent requests (its own jitter), p99 in ms. */
  readonly sendLagP99Ms: number;
}

export async function openLoop({ url, rate, seconds, body, headers = {}, connections = 16, timeoutMs = 10_000 }: OpenLoopOptions): Promise<OpenLoopResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const total = Math.round(rate * seconds);
  const latenciesMs: number[] = [];
  const lags: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const inFlight: Promise<void>[] = [];
  const start = performance.now() + 50;
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    // Never early: timers round to whole milliseconds and may fire before `due`.
    for (let wait = due - performance.now(); wait > 0; wait = due - performance.now()) await new Promise((r) => setTimeout(r, Math.ceil(wait)));
    lags.push(performance.now() - due);
    const payload = body(i);
    inFlight.push(
      new Promise<void>((resolve) => {
        const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(payload) }, timeout: timeoutMs }, (res) => {
          res.resume();
          res.on('end', () => {
            latenciesMs.push(performance.now() - due);
            if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) non2xx++;
            resolve();
          });
        });
        req.on('timeout', () => req.destroy(new Error('timed out')));
        req.on('error', () => {
          errors++;
          resolve();
        });
        req.end(payload);
      }),
    );
  }
  await Promise.all(inFlight);
  agent.destroy();
  lags.sort((a, b) => a - b);
  return { requests: total, latenciesMs, non2xx, errors, sendLagP99Ms: Number((lags[Math.ceil(0.99 * lags.length) - 1] ?? 0).toFixed(2)) };
}
