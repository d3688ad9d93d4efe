/**
 * Feature encoding for scheme "nerve-words-chars-casing/1", the TypeScript twin of
 * models/train/nerve_train/features.py and encode.py. The parity tests feed both the same
 * tokens and compare the model's outputs, so the two cannot drift apart unnoticed.
 */
import type { ModelManifest } from './manifest.js';

const isUpper = (ch: string) => ch !== ch.toLowerCase();
const isLower = (ch: string) => ch !== ch.toUpperCase();
const isDigit = (ch: string) => ch >= '0' && ch <= '9';

export function normalizeWord(token: string): string {
  return token.toLowerCase().replace(/[0-9]/g, '0');
}

export function casingOf(token: string): number {
  const chars = Array.from(token);
  const digits = chars.filter(isDigit).length;
  const n = chars.length;
  if (n > 0 && digits === n) return 1;
  if (n > 0 && digits / n > 0.5) return 2;
  const anyUpper = chars.some(isUpper);
  const anyLower = chars.some(isLower);
  if (anyLower && !anyUpper) return 3;
  if (anyUpper && !anyLower) return 4;
  if (n > 0 && isUpper(chars[0]!) && !chars.slice(1).some(isUpper)) return 5;
  if (digits > 0) return 6;
  return 7;
}

export function clipChars(token: string, maxChars: number): string[] {
  const chars = Array.from(token);
  if (chars.length <= maxChars) return chars;
  const half = Math.floor(maxChars / 2);
  return [...chars.slice(0, half), ...chars.slice(chars.length - half)];
}

export interface EncodedBatch {
  readonly batch: number;
  readonly tokens: number;
  readonly chars: number;
  readonly wordIds: BigInt64Array;
  readonly charIds: BigInt64Array;
  readonly casingIds: BigInt64Array;
  readonly lengths: BigInt64Array;
}

export class FeatureEncoder {
  private readonly wordIndex: Map<string, number>;
  private readonly charIndex: Map<string, number>;
  private readonly unk: bigint;
  private readonly maxChars: number;

  constructor(manifest: ModelManifest) {
    this.wordIndex = new Map(manifest.inputs.words.map((w, i) => [w, i]));
    this.charIndex = new Map(manifest.inputs.chars.map((c, i) => [c, i]));
    this.unk = BigInt(manifest.inputs.unkId);
    this.maxChars = manifest.inputs.maxChars;
  }

  /** Right-padded tensors for a batch of token lists (padding id 0 everywhere). */
  encode(sentences: readonly (readonly string[])[]): EncodedBatch {
    const batch = sentences.length;
    const tokens = Math.max(1, ...sentences.map((s) => s.length));
    const clipped = sentences.map((s) => s.map((t) => clipChars(t, this.maxChars)));
    const chars = Math.max(1, ...clipped.flatMap((s) => s.map((c) => c.length)));
    const wordIds = new BigInt64Array(batch * tokens);
    const charIds = new BigInt64Array(batch * tokens * chars);
    const casingIds = new BigInt64Array(batch * tokens);
    const lengths = new BigInt64Array(batch);
    sentences.forEach((sentence, b) => {
      lengths[b] = BigInt(sentence.length);
      sentence.forEach((token, t) => {
        const at = b * tokens + t;
        const id = this.wordIndex.get(normalizeWord(token));
        wordIds[at] = id === undefined ? this.unk : BigInt(id);
        casingIds[at] = BigInt(casingOf(token));
        clipped[b]![t]!.forEach((ch, c) => {
          const cid = this.charIndex.get(ch);
          charIds[at * chars + c] = cid === undefined ? this.unk : BigInt(cid);
        });
      });
    });
    return { batch, tokens, chars, wordIds, charIds, casingIds, lengths };
  }
}
