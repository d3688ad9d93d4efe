/**
 * The ONNX Runtime session of a token-classification export: it takes the inputs the
 * export declares (input_ids, attention_mask, token_type_ids where present) and gives
 * each window's label probabilities (the softmax of its logits), one row per token.
 */
import * as ort from 'onnxruntime-node';
import { ModelInvalidError } from '../../shared/errors.js';
import type { ModelOptions } from '../defaults.js';
import { openSession } from '../session.js';
import type { TokenWindow } from './tokenizer.js';

/** The inputs a tokenizer can feed; an export that needs any other cannot run on text alone. */
export const TEXT_INPUTS = ['input_ids', 'attention_mask', 'token_type_ids'] as const;

type SessionOptions = Required<Pick<ModelOptions, 'intraOpThreads' | 'executionProviders'>>;

export class LogitsSession {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly provider: string,
    readonly labelCount: number,
    private readonly padId: number,
  ) {}

  /**
   * Open `onnxPath` and check that its inputs are text inputs and that it gives
   * `labelCount` scores per token, on a window of the real tokenizer (`probe`), so that a
   * mismatch fails at load and never at request time.
   */
  static async create(onnxPath: string, options: SessionOptions, labelCount: number, padId: number, probe: TokenWindow): Promise<LogitsSession> {
    const { session, provider } = await openSession(onnxPath, options, { announce: true });
    const fail = (problem: string): never => {
      void session.release();
      throw new ModelInvalidError(`${onnxPath}: ${problem}`, { file: onnxPath });
    };
    const other = session.inputNames.filter((n) => !(TEXT_INPUTS as readonly string[]).includes(n));
    if (other.length > 0 || !session.inputNames.includes('input_ids')) {
      fail(`its inputs are ${session.inputNames.join(', ')}; a token-classification export takes input_ids and optionally attention_mask and token_type_ids`);
    }
    const logits = new LogitsSession(session, provider, labelCount, padId);
    let rows: Float32Array | undefined;
    try {
      rows = (await logits.probabilities([probe]))[0];
    } catch (e) {
      fail(`does not run on its tokenizer's ids (${(e as Error).message})`);
    }
    if (rows?.length !== probe.ids.length * labelCount) {
      fail(`gives ${rows!.length / probe.ids.length} scores per token; config.json's id2label has ${labelCount} labels`);
    }
    return logits;
  }

  /** The inputs the export declares, all of them fed. */
  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  /** Each window's probabilities, tokens x labels. The windows of one call are padded to the longest. */
  async probabilities(windows: readonly TokenWindow[]): Promise<Float32Array[]> {
    const width = Math.max(...windows.map((w) => w.ids.length));
    const size = windows.length * width;
    const ids = new BigInt64Array(size).fill(BigInt(this.padId));
    const mask = new BigInt64Array(size);
    const types = new BigInt64Array(size);
    windows.forEach((w, b) => {
      w.ids.forEach((id, t) => {
        ids[b * width + t] = BigInt(id);
        mask[b * width + t] = 1n;
        types[b * width + t] = BigInt(w.typeIds[t] ?? 0);
      });
    });
    const tensors = { input_ids: ids, attention_mask: mask, token_type_ids: types } as const;
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of this.session.inputNames) {
      feeds[name] = new ort.Tensor('int64', tensors[name as keyof typeof tensors], [windows.length, width]);
    }
    const out = await this.session.run(feeds);
    const logits = out[this.session.outputNames[0]!]!;
    const k = logits.dims[2] ?? 0;
    const data = logits.data as Float32Array;
    return windows.map((w, b) => softmaxRows(data.subarray(b * width * k, (b * width + w.ids.length) * k), k));
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Softmax of each row of `k` logits, less the maximum first so that exp never overflows. */
function softmaxRows(logits: Float32Array, k: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let r = 0; r < logits.length; r += k) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, logits[r + j]!);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += out[r + j] = Math.exp(logits[r + j]! - max);
    for (let j = 0; j < k; j++) out[r + j] = out[r + j]! / sum;
  }
  return out;
}
