/** What one file may cost the readers; each limit is explained in lambdas/batch/readers.ts. */
import { UnreadableError } from '../../shared/errors.js';

export interface ReaderLimits {
  /** Wall-clock budget for reading one file, in milliseconds. */
  readonly maxReadMs: number;
  /** Characters of text in one document (its title included); over it, the document fails. */
  readonly maxTextChars: number;
  /** Documents read from one JSON array or JSON-lines file; the rest get one failed record saying so. */
  readonly maxDocuments: number;
  /** Bytes of one line of a JSON-lines file; a longer line fails its document, unread. */
  readonly maxLineBytes: number;
  /** Nesting of JSON arrays and objects (deeper fails), and of HTML elements (deeper is flattened). */
  readonly maxDepth: number;
  /** Pages of one PDF; a longer PDF fails before any page is read. */
  readonly maxPdfPages: number;
  /** Bytes the Flate streams of one PDF may decompress to, all together; more fails as a decompression bomb. */
  readonly maxPdfInflatedBytes: number;
}

export const DEFAULT_READER_LIMITS: ReaderLimits = Object.freeze({
  maxReadMs: 30_000,
  maxTextChars: 10_000_000,
  maxDocuments: 10_000,
  maxLineBytes: 1024 * 1024,
  maxDepth: 512,
  maxPdfPages: 1_000,
  maxPdfInflatedBytes: 256 * 1024 * 1024,
});

export function readerLimits(given: Partial<ReaderLimits> = {}): ReaderLimits {
  const limits = { ...DEFAULT_READER_LIMITS };
  for (const [name, value] of Object.entries(given) as [keyof ReaderLimits, number | undefined][]) {
    if (value === undefined) continue;
    if (!(name in DEFAULT_READER_LIMITS)) throw new TypeError(`unknown reader limit "${name}"`);
    if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`reader limit ${name} must be a positive integer, got ${value}`);
    (limits as Record<string, number>)[name] = value;
  }
  return limits;
}

/** The clock of one read: `check()` throws once the budget is spent. */
export class Deadline {
  private readonly at: number;

  constructor(readonly ms: number) {
    this.at = performance.now() + ms;
  }

  get remaining(): number {
    return this.at - performance.now();
  }

  error(): UnreadableError {
    return new UnreadableError(`reading the file took longer than ${this.ms} ms, the limit`);
  }

  check(): void {
    if (performance.now() > this.at) throw this.error();
  }
}
