/**
 * The one place where errors become HTTP responses. A RequestError (anything a caller
 * sent wrong) is its 4xx with `{"error": {"code", "message"}}`; anything else is the
 * service's own 500, whose message never echoes internals.
 */
import { RequestError } from '../shared/errors.js';

export interface ErrorBody {
  error: { code: string; message: string };
}

export interface HttpFailure {
  readonly status: number;
  readonly body: ErrorBody;
  /** The caller's fault (4xx), not the service's. */
  readonly refused: boolean;
}

export function httpFailureOf(e: unknown): HttpFailure {
  if (e instanceof RequestError) return { status: e.status, body: { error: { code: e.code, message: e.message } }, refused: true };
  return { status: 500, body: { error: { code: 'internal_error', message: 'the service failed to handle this request; it has been logged' } }, refused: false };
}

/** What to tell a caller whose text is too long for an online route. */
export const USE_BATCH_PATH_HINT = 'For long documents use the batch path: drop the file into the documents bucket (or run `nerve ingest FILE`).';
