/**
 * Typed errors. Every error Nerve raises on purpose is a NerveError with a stable `code`;
 * the HTTP mapping lives in one place (lambdas/http/errors.ts), the CLI prints `message`.
 */
export class NerveError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The caller passed something that is not a valid input (a non-string text, an unknown option). */
export class InvalidInputError extends NerveError {
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
