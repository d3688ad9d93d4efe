import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  InvalidInputError,
  LeaseTakenError,
  MalformedEventError,
  ModelInvalidError,
  ModelNotFoundError,
  NerveError,
  REQUEST_ERRORS,
  RequestError,
  reviveError,
  serializeError,
  UnprocessedItemsError,
  UnreadableError,
  UsageError,
} from '../../lambdas/shared/errors.js';

/** What postMessage does to a value between threads. */
const acrossThreads = (e: unknown) => reviveError(structuredClone(serializeError(e)));

describe('errors', () => {
  const made: NerveError[] = [
    new InvalidInputError('text must be a string', { got: 'number' }),
    new ModelNotFoundError('no model named "x"', { model: 'x' }),
    new ModelInvalidError('manifest.json is missing', { dir: '/m' }),
    new MalformedEventError('not an S3 event'),
    new UnreadableError('binary data'),
    new LeaseTakenError('d0123'),
    new ConfigError('workers must be a positive integer'),
    new UnprocessedItemsError('DynamoDB left 3 writes unprocessed'),
    new UsageError('extract needs TEXT'),
    new RequestError('invalid_limit', '"limit" must be an integer'),
  ];

  it.each(made.map((e) => [e.name, e]))('%s crosses a thread whole: class, code, message, details, stack', (_, e) => {
    const back = acrossThreads(e) as NerveError;
    expect(back).toBeInstanceOf(e.constructor);
    expect(back).toBeInstanceOf(NerveError);
    expect(back).toBeInstanceOf(Error);
    expect({ name: back.name, code: back.code, message: back.message, details: back.details, stack: back.stack }).toEqual({
      name: e.name,
      code: e.code,
      message: e.message,
      details: e.details,
      stack: e.stack,
    });
  });

  it('keeps a built-in error its class and name, and anything else its message', () => {
    const back = acrossThreads(new TypeError('token.toLowerCase is not a function'));
    expect(back).toBeInstanceOf(TypeError);
    expect(back.message).toBe('token.toLowerCase is not a function');
    expect(acrossThreads('a string thrown')).toMatchObject({ name: 'Error', message: 'a string thrown' });
  });

  it("maps every caller's mistake to a 4xx, and only those", () => {
    for (const [code, status] of Object.entries(REQUEST_ERRORS)) {
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(500);
      expect(new RequestError(code as keyof typeof REQUEST_ERRORS, 'x').status).toBe(status);
    }
    expect(new InvalidInputError('x').status).toBe(400);
    expect(new ModelInvalidError('x')).not.toBeInstanceOf(RequestError);
  });
});
