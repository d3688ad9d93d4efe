/**
 * Every error Nerve raises on purpose, in one place: its class, its code (a closed
 * union, so a typo is a compile error) and, for the codes a caller can cause, the HTTP
 * status it maps to. Handlers turn these into responses in lambdas/http/; the CLI prints
 * `message`; worker threads send them across whole (`serializeError`/`reviveError`).
 */

/** Codes of the caller's mistakes and the statuses they answer with (docs/http-api.md; docs/openapi.json lists them per status). */
export const REQUEST_ERRORS = {
  empty_body: 400,
  invalid_body: 400,
  invalid_json: 400,
  invalid_input: 400,
  missing_text: 400,
  invalid_text: 400,
  invalid_offsets: 400,
  invalid_texts: 400,
  too_many_texts: 400,
  conflicting_fields: 400,
  invalid_min_score: 400,
  unsupported_language: 400,
  missing_query: 400,
  invalid_query: 400,
  empty_query: 400,
  invalid_limit: 400,
  invalid_types: 400,
  invalid_cursor: 400,
  invalid_filters: 400,
  invalid_facets: 400,
  invalid_document_id: 400,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  text_too_long: 413,
  query_too_long: 413,
  unsupported_media_type: 415,
} as const;

/** Codes of everything else: the models, the batch path, the configuration, the CLI. */
const OTHER_CODES = [
  'internal_error',
  'model_not_found',
  'model_invalid',
  'model_unsupported',
  'malformed_event',
  'unreadable',
  'over_budget',
  'lease_taken',
  'invalid_config',
  'dynamodb_unprocessed',
  'write_contended',
  'usage',
  'conll_format',
  'file_not_found',
  'no_stack',
  'timeout',
  'unreachable',
  'search_failed',
] as const;

export type RequestErrorCode = keyof typeof REQUEST_ERRORS;
export type ErrorCode = RequestErrorCode | (typeof OTHER_CODES)[number];

export class NerveError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** What a caller sent wrong: a 4xx whose status comes from REQUEST_ERRORS. */
export class RequestError extends NerveError {
  declare readonly code: RequestErrorCode;
  constructor(code: RequestErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details);
  }

  get status(): number {
    return REQUEST_ERRORS[this.code];
  }
}

/** The caller passed something that is not a valid input to the engine (a non-string text, an unknown option). */
export class InvalidInputError extends RequestError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('invalid_input', message, details);
  }
}

/** No model folder (or no model of that name) where the caller pointed. */
export class ModelNotFoundError extends NerveError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('model_not_found', message, details);
  }
}

/** A model folder exists but its manifest or ONNX file is missing, malformed or inconsistent. */
export class ModelInvalidError extends NerveError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('model_invalid', message, details);
  }
}

/**
 * A model folder that is well formed but of a kind Nerve does not run (a tokenizer model,
 * a label scheme, an architecture): the message names the file and what is supported.
 */
export class ModelUnsupportedError extends NerveError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('model_unsupported', message, details);
  }
}

/** An SQS message that is not an S3 event notification. */
export class MalformedEventError extends NerveError {
  constructor(message: string) {
    super('malformed_event', message);
  }
}

/** A permanent failure to read a document: retrying cannot help, so it is marked failed with this reason. */
export class UnreadableError extends NerveError {
  constructor(reason: string) {
    super('unreadable', reason);
  }
}

/** A document needs more time than its budget allows (the batch path marks it failed with this reason). */
export class OverBudgetError extends NerveError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('over_budget', message, details);
  }
}

/** Another worker holds the document's lease: the change is retried later. */
export class LeaseTakenError extends NerveError {
  constructor(documentId: string) {
    super('lease_taken', `another worker is processing document ${documentId}; the change will be retried`, { documentId });
  }
}

/** A setting (an environment variable, a construct prop, an option) has a value Nerve cannot use. */
export class ConfigError extends NerveError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('invalid_config', message, details);
  }
}

/** DynamoDB kept leaving part of a batch unprocessed (throttling) after every retry. */
export class UnprocessedItemsError extends NerveError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('dynamodb_unprocessed', message, details);
  }
}

/** Items a write was about to change kept changing under it (concurrent writers or transactions): the change is retried later. */
export class ContendedWriteError extends NerveError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('write_contended', message, details);
  }
}

/** A command-line call Nerve cannot run as given (the CLI exits with 2). */
export class UsageError extends NerveError {
  constructor(message: string) {
    super('usage', message);
  }
}

const CLASSES = [NerveError, RequestError, InvalidInputError, ModelNotFoundError, ModelInvalidError, ModelUnsupportedError, MalformedEventError, UnreadableError, OverBudgetError, LeaseTakenError, ConfigError, UnprocessedItemsError, ContendedWriteError, UsageError];
const BY_NAME = new Map<string, { prototype: NerveError }>(CLASSES.map((c) => [c.name, c]));

/** An error as plain data, for postMessage (structured clone keeps neither class nor own fields of Errors). */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly details?: Record<string, unknown>;
  readonly stack?: string;
}

export function serializeError(e: unknown): SerializedError {
  if (e instanceof NerveError) return { name: e.name, message: e.message, code: e.code, details: e.details, stack: e.stack };
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: 'Error', message: String(e) };
}

/** The error back in its own class, with its code and details; a built-in error keeps its name. */
export function reviveError(s: SerializedError): Error {
  const known = BY_NAME.get(s.name);
  if (known && s.code !== undefined) {
    const e = Object.create(known.prototype) as NerveError;
    return Object.assign(e, { name: s.name, message: s.message, code: s.code, details: s.details ?? {}, stack: s.stack });
  }
  const Builtin = ({ TypeError, RangeError, SyntaxError } as Record<string, ErrorConstructor>)[s.name] ?? Error;
  return Object.assign(new Builtin(s.message), { name: s.name, ...(s.stack ? { stack: s.stack } : {}) });
}
