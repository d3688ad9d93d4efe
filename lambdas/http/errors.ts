/**
 * The one place where errors become HTTP statuses. Anything a caller sent wrong is a
 * 4xx with `{"error": {"code", "message"}}`; anything else is the service's own 500,
 * whose message never echoes internals.
 */
import { InvalidInputError, NerveError } from '../engine/errors.js';

export class HttpError extends NerveError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
  ) {
    super(code, message);
  }
}

export const badRequest = (code: string, message: string) => new HttpError(400, code, message);

export interface ErrorBody {
  error: { code: string; message: string };
}

export function toHttpError(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  if (e instanceof InvalidInputError) return new HttpError(400, e.code, e.message);
  return new HttpError(500, 'internal_error', 'the service failed to handle this request; it has been logged');
}

export function errorBody(e: HttpError): ErrorBody {
  return { error: { code: e.code, message: e.message } };
}
