/**
 * What every `nerve` subcommand is: its usage text, its options (node's util.parseArgs,
 * strict: an unknown flag is a usage error) and what it runs. `-h`/`--help` is added to
 * each, and the checks of option values every command shares live here, so that a bad
 * value is a UsageError (exit 2) that names the flag and what it accepts.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../lambdas/shared/errors.js';

export type Options = NonNullable<ParseArgsConfig['options']>;
/** Option values as util.parseArgs gives them: a string, a boolean, or undefined when not given. */
export type Values = Record<string, string | boolean | undefined>;

export interface Command {
  readonly name: string;
  /** Synopsis and description, as `nerve COMMAND --help` prints them. */
  readonly usage: string;
  readonly options: Options;
  /** Resolves with the exit code. */
  run(values: Values, positionals: string[]): Promise<number>;
}

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/** The command's arguments, or `help` when -h or --help comes before any `--`. */
export function parseCommand(c: Command, args: string[]): { help: true } | { help: false; values: Values; positionals: string[] } {
  const end = args.indexOf('--');
  if ((end < 0 ? args : args.slice(0, end)).some((a) => a === '-h' || a === '--help')) return { help: true };
  try {
    const { values, positionals } = parseArgs({ args, options: { ...c.options, ...HELP }, allowPositionals: true, strict: true });
    return { help: false, values: values as Values, positionals };
  } catch (e) {
    // util.parseArgs's own errors (unknown option, missing value) become usage errors with the command's usage.
    if (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS')) throw usageError(c, e.message);
    throw e;
  }
}

/** A usage error followed by the command's usage (stderr, exit 2). */
export function usageError(c: Pick<Command, 'usage'>, message: string): UsageError {
  return new UsageError(`${message}\n\n${c.usage}`);
}

/** An integer option, at least `min` when one is given (else the range is the receiver's to check); undefined stays undefined. */
export function integerOption(flag: string, value: unknown, min?: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || (min !== undefined && n < min)) {
    const what = min === undefined ? 'an integer' : min === 1 ? 'a positive integer' : `an integer of at least ${min}`;
    throw new UsageError(`--${flag} must be ${what}, got "${String(value)}"`);
  }
  return n;
}

/** A positive number of seconds; undefined stays undefined. */
export function secondsOption(flag: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new UsageError(`--${flag} must be a positive number of seconds, got "${String(value)}"`);
  return n;
}

/** One of `allowed`; undefined stays undefined. */
export function choiceOption<T extends string>(flag: string, value: unknown, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly unknown[]).includes(value)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got "${String(value)}"`);
  return value as T;
}
