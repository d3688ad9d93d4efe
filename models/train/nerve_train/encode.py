"""Vocabularies and the encoding of token lists into the model's input tensors."""
from __future__ import annotations

from collections import Counter

import numpy as np
import torch

from .features import CASING, PAD, UNK, casing_of, clip_chars, normalize_word


class Vocab:
    def __init__(self, words: list[str], chars: list[str]):
        self.words = ["<pad>", "<unk>"] + words
        self.chars = ["<pad>", "<unk>"] + chars
        self.word_index = {w: i for i, w in enumerate(self.words)}
        self.char_index = {c: i for i, c in enumerate(self.chars)}

    def encode(self, tokens: list[str]):
        w = [self.word_index.get(normalize_word(t), UNK) for t in tokens]
        c = [[self.char_index.get(ch, UNK) for ch in clip_chars(t)] for t in tokens]
        k = [casing_of(t) for t in tokens]
        return w, c, k


def build_vocab(train_tokens: list[list[str]], extra_counts: Counter | None, max_words: int,
                min_char_count: int = 2) -> Vocab:
    train_counts = Counter(normalize_word(t) for s in train_tokens for t in s)
    score = Counter({w: float(c) for w, c in train_counts.items()})
    if extra_counts:
        # Put unlabeled counts on the labelled corpus's scale so neither dominates.
        scale = sum(train_counts.values()) / max(1, sum(extra_counts.values()))
        for w, c in extra_counts.items():
            score[w] += c * scale
    words = [w for w, _ in sorted(score.items(), key=lambda kv: (-kv[1], kv[0]))[:max_words]]
    char_counts = Counter(ch for s in train_tokens for t in s for ch in clip_chars(t))
    for ch, n in list(char_counts.items()):
        char_counts[ch.lower()] += n  # lower-cased queries must not hit <unk> chars
    chars = sorted(ch for ch, n in char_counts.items() if n >= min_char_count)
    return Vocab(words, chars)


def batch_tensors(encoded: list[tuple[list[int], list[list[int]], list[int]]]):
    """Right-padded tensors plus lengths, the same layout the engine feeds ONNX Runtime."""
    b = len(encoded)
    t = max(len(w) for w, _, _ in encoded)
    c = max(1, max(len(ch) for _, cs, _ in encoded for ch in cs))
    words = np.zeros((b, t), dtype=np.int64)
    chars = np.zeros((b, t, c), dtype=np.int64)
    casing = np.zeros((b, t), dtype=np.int64)
    lengths = np.zeros((b,), dtype=np.int64)
    for i, (w, cs, k) in enumerate(encoded):
        n = len(w)
        words[i, :n] = w
        casing[i, :n] = k
        lengths[i] = n
        for j, ch in enumerate(cs):
            chars[i, j, : len(ch)] = ch
    return (torch.from_numpy(words), torch.from_numpy(chars), torch.from_numpy(casing),
            torch.from_numpy(lengths))


assert CASING[PAD] == "pad"
