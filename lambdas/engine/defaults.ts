/**
 * Every default of the engine, in one place: the model options (windows, batches,
 * threads, checks) and document consistency's thresholds. Loaders fill options from
 * here with `modelOptions()`; nothing else repeats a default.
 */
export interface ModelOptions {
  /** Tokens per model call; longer sentences are cut into overlapping windows. @default 128 */
  readonly windowTokens?: number;
  /** Tokens of context each side of a window's own tokens. @default 16 */
  readonly windowContext?: number;
  /** Windows per ONNX Runtime call. @default 32 */
  readonly batchWindows?: number;
  /** Check model.onnx against the manifest's sha256 at load. @default true */
  readonly verifyChecksum?: boolean;
  /** Threads ONNX Runtime may use inside one operator. @default 1 */
  readonly intraOpThreads?: number;
  /** Execution providers in order of preference; the CPU is always the last resort. @default ['cpu'] */
  readonly executionProviders?: readonly string[];
}

export interface ConsistencyOptions {
  /** A span keeps its type unless that type has less than this share of its string's votes. @default 0.4 */
  readonly retypeShare?: number;
  /** Only strings tagged at least once with this probability are propagated. @default 0.7 */
  readonly propagateScore?: number;
  /** Types whose confident multi-token names lend their last token (rule 3). @default ['PER'] */
  readonly surnameTypes?: readonly string[];
}

export const MODEL_DEFAULTS: Required<ModelOptions> = {
  windowTokens: 128,
  windowContext: 16,
  batchWindows: 32,
  verifyChecksum: true,
  intraOpThreads: 1,
  executionProviders: ['cpu'],
};

/** Chosen on CoNLL-2003 dev by `npm run tune:consistency` (bench/results/tune-consistency.json). */
export const CONSISTENCY_DEFAULTS: Required<ConsistencyOptions> = {
  retypeShare: 0.4,
  propagateScore: 0.7,
  surnameTypes: ['PER'],
};

/**
 * Tokens of a document tagged per model call on the batch path: enough sentences for the
 * length batching (batching.ts) to choose from, few enough to keep ONNX Runtime's tensors small.
 */
export const DOCUMENT_GROUP_TOKENS = 4096;

/** Options with every default filled in (undefined values count as unset). */
export function modelOptions(options: ModelOptions = {}): Required<ModelOptions> {
  const set = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return { ...MODEL_DEFAULTS, ...set };
}

export function consistencyOptions(options: ConsistencyOptions = {}): Required<ConsistencyOptions> {
  const set = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return { ...CONSISTENCY_DEFAULTS, ...set };
}

/** Tokens of free text per model call (`extract`): a batch's worth of full windows. */
export function tokensPerCall(options: Required<ModelOptions>, copies = 1): number {
  return options.windowTokens * options.batchWindows * copies;
}
