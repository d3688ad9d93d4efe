/**
 * A model's tokenizer.json through `tokenizers`, Hugging Face's own Rust library in its
 * Node.js binding: the same code as Python's `tokenizers`, so ids and offsets are the
 * ones the model was trained and exported with, not a reimplementation's.
 *
 * A text becomes windows exactly as transformers' pipeline makes them with a stride: the
 * tokenizer truncates to the model's maximum length and returns the rest as overflowing
 * windows, each `stride` tokens into the one before, special tokens added to each.
 *
 * Since tokenizers 0.23.1 an encode with truncation stops tokenizing at the maximum length
 * and so loses most overflowing windows (huggingface/tokenizers#2091). So the text is
 * encoded whole by a copy of the tokenizer without post-processor or truncation, and the
 * windows are cut and given their special tokens by the post-processing step alone,
 * which is what 0.22's encode (the Python side of the goldens) does after tokenizing.
 */
import { createRequire } from 'node:module';
import type { Tokenizer } from 'tokenizers';
import { ModelInvalidError, ModelUnsupportedError } from '../../shared/errors.js';

/**
 * `tokenizers` is a native addon, required only when a transformer loads: esbuild cannot
 * bundle a .node file, and a function that runs only BiLSTMs should neither carry nor
 * need it. Where a transformer runs, the module is found at run time, as onnxruntime-node
 * is (in a Lambda function, from a layer, with tokenizers an external module of the bundle).
 */
function tokenizerClass(): typeof Tokenizer {
  const load = typeof require === 'function' ? require : createRequire(import.meta.url);
  return (load('tokenizers') as typeof import('tokenizers')).Tokenizer;
}

export const TOKENIZER_MODELS = ['WordPiece', 'BPE', 'Unigram'] as const;

/** One window of a text: what the model is fed, and where each token came from. */
export interface TokenWindow {
  readonly ids: readonly number[];
  readonly typeIds: readonly number[];
  /** 1 for the tokens the post-processor added ([CLS], </s>): they carry no entity. */
  readonly special: readonly number[];
  /** [start, end) in code points of the text. */
  readonly offsets: readonly (readonly number[])[];
  /** The vocabulary's token strings (`##ing`, `Ġworld`), which say whether a token continues a word. */
  readonly tokens: readonly string[];
}

export interface TokenizerSpec {
  /** tokenizer.json's path, named in errors. */
  readonly file: string;
  readonly maxLength: number;
  readonly stride: number;
  /** The unknown token's string (from tokenizer_config.json), else the model's own. */
  readonly unkToken?: string;
}

export class WindowTokenizer {
  private constructor(
    /** Tokenizes whole texts: no post-processor, no truncation. */
    private readonly encoder: Tokenizer,
    /** Cuts windows and adds special tokens (its post-processing step only). */
    private readonly tokenizer: Tokenizer,
    /** The prefix of a word's later pieces (`##`), when the tokenizer knows words. */
    readonly continuingSubwordPrefix: string | undefined,
    readonly unkId: number | undefined,
    readonly vocabularySize: number,
  ) {}

  static async load(json: string, { file, maxLength, stride, unkToken }: TokenizerSpec): Promise<WindowTokenizer> {
    let spec: any;
    try {
      spec = JSON.parse(json);
    } catch (e) {
      throw new ModelInvalidError(`${file} is not valid JSON (${(e as Error).message})`, { file });
    }
    const kind = spec?.model?.type;
    if (!(TOKENIZER_MODELS as readonly unknown[]).includes(kind)) {
      throw new ModelUnsupportedError(
        `${file}: a tokenizer of type ${JSON.stringify(kind)}; Nerve runs ${TOKENIZER_MODELS.join(', ')} tokenizers`,
        { file },
      );
    }
    let tokenizer: Tokenizer;
    let encoder: Tokenizer;
    try {
      const Tokenizer = tokenizerClass();
      tokenizer = Tokenizer.fromString(json);
      encoder = Tokenizer.fromString(JSON.stringify({ ...spec, post_processor: null, truncation: null, padding: null }));
    } catch (e) {
      throw new ModelInvalidError(`${file} cannot be read by tokenizers: ${(e as Error).message}`, { file });
    }
    const withSpecials = async (add: boolean) => (await tokenizer.encode('a', null, { addSpecialTokens: add })).getLength();
    const specials = (await withSpecials(true)) - (await withSpecials(false));
    if (!Number.isInteger(stride) || stride < 0 || stride >= maxLength - specials) {
      throw new ModelInvalidError(`${file}: stride ${stride} must be an integer from 0 to ${maxLength - specials - 1} (the window of ${maxLength} less ${specials} special tokens, less one)`, { file });
    }
    // Whatever truncation or padding the file was saved with, windows are made here.
    tokenizer.setTruncation(maxLength, { stride });
    tokenizer.disablePadding();
    const unk = unkToken ?? (typeof spec.model.unk_token === 'string' ? spec.model.unk_token : undefined);
    const unkId = unk !== undefined ? (tokenizer.tokenToId(unk) ?? undefined) : typeof spec.model.unk_id === 'number' ? spec.model.unk_id : undefined;
    const prefix = typeof spec.model.continuing_subword_prefix === 'string' && spec.model.continuing_subword_prefix !== '' ? spec.model.continuing_subword_prefix : undefined;
    return new WindowTokenizer(encoder, tokenizer, prefix, unkId, tokenizer.getVocabSize(true));
  }

  idOf(token: string): number | undefined {
    return this.tokenizer.tokenToId(token) ?? undefined;
  }

  /** The windows of `text`, in order. */
  async windows(text: string): Promise<TokenWindow[]> {
    const whole = await this.encoder.encode(text, null, { addSpecialTokens: false });
    const first = this.tokenizer.postProcess(whole, null, true);
    return [first, ...first.getOverflowing()].map((e) => ({
      ids: e.getIds(),
      typeIds: e.getTypeIds(),
      special: e.getSpecialTokensMask(),
      offsets: e.getOffsets(),
      tokens: e.getTokens(),
    }));
  }
}
